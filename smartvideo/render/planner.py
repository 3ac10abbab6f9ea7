"""Planning: story + customer record + device -> RenderPlan. Pure: no files, no network.

The two things planning needs from the outside world come in as callables: how long a voice
line lasts once spoken (`voice_length`, backed by the TTS cache) and the content hash of an asset
file (`asset_hash`), so the plan itself stays a deterministic function of its inputs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from smartvideo.errors import SmartVideoError, TemplateDataError, did_you_mean
from smartvideo.render.contract import RecordRejected, read_record, with_defaults
from smartvideo.render.drawing.fonts import chain, installed_fallbacks, missing_glyphs
from smartvideo.render.formatting import format_number
from smartvideo.render.plan import (
    Background,
    ChartItem,
    DeviceProfile,
    PlannedLayer,
    PlannedScene,
    RenderPlan,
    TextStyle,
    VoiceLine,
)
from smartvideo.render.scene_loader import Library
from smartvideo.render.scene_model import (
    BackgroundSpec,
    LayerSpec,
    SceneOverride,
    SceneRef,
    SceneSpec,
    StorySpec,
    ThemeSpec,
    VariantSpec,
)
from smartvideo.render.templating import Where, as_record, evaluate, render_text, uses_data

VoiceLength = Callable[[str, str], float]  # (text, voice profile id) -> seconds
AssetHash = Callable[[str], str]  # absolute path -> content hash


@dataclass(frozen=True, slots=True)
class PlanInputs:
    """Everything a plan is made from."""

    story_id: str
    record: Mapping[str, Any]
    device: DeviceProfile
    variant: str | None = None  # None: pick deterministically per customer
    extra_context: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # click, store


def customer_key(story_id: str, customer_id: str) -> str:
    """A stable pseudonymous key for a customer within a story (no id in clear)."""
    return hashlib.sha256(f"{story_id}\x00{customer_id}".encode()).hexdigest()[:20]


def pick_variant(story: StorySpec, customer_id: str, wanted: str | None = None) -> VariantSpec | None:
    """The variant for this customer: the one asked for, else a deterministic weighted pick."""
    if wanted:
        variant = story.variant(wanted)
        if variant is None:
            known = ", ".join(v.name for v in story.variants) or "none"
            raise SmartVideoError(f"story '{story.id}' has no variant '{wanted}' (variants: {known})")
        return variant
    if not story.variants:
        return None
    digest = hashlib.sha256(f"variant\x00{story.id}\x00{customer_id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64 * sum(v.weight for v in story.variants)
    for variant in story.variants:
        point -= variant.weight
        if point < 0:
            return variant
    return story.variants[-1]


class StoryRecord(dict):
    """A record as a story's contract read it (defaults filled in). Reading it again for the same
    contract and defaults gives it back as it is: a campaign's lookup, its checks and its plan read
    each customer once, not three times."""

    __slots__ = ("contract", "defaults", "source")
    contract: Any
    defaults: Any
    source: Mapping[str, Any]  # the record as it was given (a campaign compares its row with it)


def story_record(story: StorySpec, record: Mapping[str, Any]) -> dict[str, Any]:
    """The record read by the story's contract, its defaults filled in: the one conversion path.

    CLI renders, on-click renders, agent pushes, campaigns and check-data all come through here;
    a record that breaks the contract is a RecordRejected naming the record and the field.
    """
    if (isinstance(record, StoryRecord) and getattr(record, "contract", None) is story.contract
            and getattr(record, "defaults", None) is story.defaults):
        return record
    out = StoryRecord(read_record(story.contract, with_defaults(record, story.defaults)))
    out.contract, out.defaults, out.source = story.contract, story.defaults, record
    return out


def build_context(story: StorySpec, record: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """The template context: the record (read by the contract, with defaults) plus click context."""
    data = story_record(story, record)
    context: dict[str, Any] = {key: as_record(value, key) for key, value in data.items()}
    for key, value in extra.items():
        context[key] = as_record(value, key)
    context["story"] = as_record({"id": story.id, "title": story.title}, "story")
    context["_locale"] = story.locale
    context["_currency"] = story.currency
    context["_money_cents"] = story.money_cents
    return context


def _apply_override(scene: SceneSpec, override: SceneOverride | None) -> SceneSpec:
    if override is None:
        return scene
    layers = list(scene.layers)
    for index, content in override.layer_content:
        layers[index] = dataclasses.replace(layers[index], content=content)
    return dataclasses.replace(
        scene,
        voice=override.voice if override.voice is not None else scene.voice,
        duration=override.duration if override.duration is not None else scene.duration,
        background=override.background or scene.background,
        layers=tuple(layers),
    )


def _pixels(box: tuple[float, float, float, float], device: DeviceProfile) -> tuple[int, int, int, int]:
    x, y, w, h = box
    px, py = round(x * device.width), round(y * device.height)
    pw = max(2, min(round(w * device.width), device.width - px))
    ph = max(2, min(round(h * device.height), device.height - py))
    return (px, py, pw, ph)


def _style_name(layer: LayerSpec, theme: ThemeSpec, context: Mapping[str, Any]) -> str:
    """The layer's style: fixed, or chosen by its `style_from` expression (which must name a theme style)."""
    if layer.style_from is None:
        return layer.style
    name = evaluate(layer.style_from, context, layer.where)
    if not isinstance(name, str) or name not in theme.styles:
        raise TemplateDataError(
            f"{layer.where.file}:{layer.where.line}: style_from '{layer.style_from}' gave {name!r}, which is not "
            f"a style of theme '{theme.id}'{did_you_mean(str(name), theme.styles)}; styles: {', '.join(theme.styles)}")
    return name


def _style(theme: ThemeSpec, layer: LayerSpec, name: str, lib: Library, device: DeviceProfile) -> TextStyle:
    spec = theme.styles[name]
    max_size = max(10, round(spec.size * min(device.width, device.height)))
    return TextStyle(
        font=str(lib.path(theme.fonts[spec.font])),
        fallback_fonts=(*(str(lib.path(p)) for p in theme.fallback_fonts), *installed_fallbacks()),
        color=theme.color(spec.color),
        max_size=max_size,
        min_size=max(10, round(max_size * 0.35)),
        align=layer.align or spec.align,
        valign=layer.valign or spec.valign,
        line_spacing=spec.line_spacing,
        uppercase=spec.uppercase,
        background=theme.color(spec.background) if spec.background else None,
        shadow=spec.shadow,
    )


def _number_value(text: str, where: Where) -> float:
    cleaned = text.replace(",", "").replace("€", "").replace("$", "").strip()
    try:
        return float(cleaned)
    except ValueError:
        raise TemplateDataError(f"{where.file}:{where.line}: a number layer needs a number, got '{text}'") from None


def _check_glyphs(text: str, style: TextStyle, layer: LayerSpec, context: Mapping[str, Any]) -> None:
    """Refuse, naming the field, a text with characters no font in the chain can draw."""
    missing = missing_glyphs(text, chain(style))
    if not missing:
        return
    shown = ", ".join(f"'{ch}' (U+{ord(ch):04X})" for ch in missing[:3])
    field = next((path for path in _data_paths(layer) if any(ch in _text_at(context, path) for ch in missing)),
                 None)
    where = f"{layer.where.file}:{layer.where.line}: "
    what = f"{field}: " if field else ""
    raise TemplateDataError(f"{where}{what}no font can draw {shown}; the text would lose it on screen")


def _data_paths(layer: LayerSpec) -> list[str]:
    from jinja2 import TemplateSyntaxError

    from smartvideo.render.contract import template_references

    sources = [(layer.chart.items, True)] if layer.chart else [(layer.content, False)]
    paths: list[str] = []
    for source, expression in sources:
        try:
            paths.extend(template_references(source, expression))
        except TemplateSyntaxError:  # reported where the scene is loaded; here only the field name is lost
            continue
    if layer.chart:
        paths = [f"{p}.{layer.chart.label}" for p in paths]
    return paths


def _text_at(context: Mapping[str, Any], dotted: str) -> str:
    """Every text at a dotted path (list items included), joined: to find which field holds a character."""
    nodes: list[Any] = [context]
    for part in dotted.split("."):
        nxt: list[Any] = []
        for node in nodes:
            if isinstance(node, list | tuple):
                nxt.extend(item.get(part) for item in node if isinstance(item, Mapping))
            elif isinstance(node, Mapping):
                nxt.append(node.get(part))
        nodes = nxt
    flat: list[str] = []
    for node in nodes:
        if isinstance(node, list | tuple):
            flat.extend(str(v) for v in node)
        elif isinstance(node, str):
            flat.append(node)
    return "\n".join(flat)


def _chart_items(layer: LayerSpec, context: Mapping[str, Any], theme: ThemeSpec,
                 locale: str, currency: str, cents: str = "always") -> tuple[ChartItem, ...]:
    chart = layer.chart
    assert chart is not None
    rows = evaluate(chart.items, context, layer.where)
    if not isinstance(rows, list | tuple):
        raise TemplateDataError(f"{layer.where.file}:{layer.where.line}: chart items '{chart.items}' is not a list")
    pairs: list[tuple[str, float]] = []
    for n, row in enumerate(rows):
        if not isinstance(row, Mapping) or chart.label not in row or chart.value not in row:
            raise TemplateDataError(
                f"{layer.where.file}:{layer.where.line}: chart item {n} of '{chart.items}' needs "
                f"'{chart.label}' and '{chart.value}'")
        label, value = row[chart.label], row[chart.value]
        if label is None or isinstance(value, bool) or not isinstance(value, int | float | Decimal) or (
                isinstance(value, float) and not math.isfinite(value)):
            raise TemplateDataError(
                f"{layer.where.file}:{layer.where.line}: chart item {n}: label must be set and value numeric")
        pairs.append((str(label), float(value)))
    if len(pairs) > chart.limit:
        pairs.sort(key=lambda p: -abs(p[1]))
        rest = sum(v for _, v in pairs[chart.limit - 1:])
        pairs = pairs[: chart.limit - 1] + [("Other" if locale.startswith("en") else "Overig", rest)]
    colors = [theme.color(c) for c in theme.chart_colors]
    return tuple(
        ChartItem(label=label, value=value, color=colors[i % len(colors)],
                  value_text=format_number(value, chart.value_format, locale, currency, cents))
        for i, (label, value) in enumerate(pairs)
    )


def _plan_layer(layer: LayerSpec, context: Mapping[str, Any], theme: ThemeSpec, story: StorySpec,
                lib: Library, device: DeviceProfile, duration: float, asset_hash: AssetHash) -> PlannedLayer:
    box_spec = layer.portrait_box if device.portrait and layer.portrait_box else layer.box
    end = None if layer.end is None or layer.end >= duration else layer.end
    base = PlannedLayer(
        kind=layer.kind, box=_pixels(box_spec, device), start=min(layer.start, max(0.0, duration - 0.2)),
        end=end, animation=layer.animation, animation_duration=layer.animation_duration,
        locale=story.locale, currency=story.currency, money_cents=story.money_cents,
    )
    if layer.kind in ("image", "logo"):
        rel = render_text(layer.content, context, layer.where) if layer.content else (theme.logo or "")
        path = lib.path(rel)
        return dataclasses.replace(base, image=str(path), image_hash=asset_hash(str(path)))
    style = _style(theme, layer, _style_name(layer, theme, context), lib, device)
    if layer.kind == "chart":
        items = _chart_items(layer, context, theme, story.locale, story.currency, story.money_cents)
        for item in items:
            _check_glyphs(item.label, style, layer, context)
        return dataclasses.replace(base, style=style, chart_kind=layer.chart.kind if layer.chart else "bars",
                                   chart_items=items)
    text = render_text(layer.content_for(device.name), context, layer.where)
    if layer.kind == "number":
        value = _number_value(text, layer.where)
        return dataclasses.replace(base, style=style, number=value, number_format=layer.number_format,
                                   text=format_number(value, layer.number_format, story.locale, story.currency,
                                                      story.money_cents))
    if not text.strip():
        raise TemplateDataError(f"{layer.where.file}:{layer.where.line}: the {layer.kind} text came out empty")
    _check_glyphs(text, style, layer, context)
    return dataclasses.replace(base, style=style, text=text)


def _background(spec: BackgroundSpec, lib: Library, asset_hash: AssetHash) -> Background:
    if spec.path is None:
        return Background(kind=spec.kind, colors=spec.colors)
    path = str(lib.path(spec.path))
    return Background(kind=spec.kind, path=path, file_hash=asset_hash(path), loop=spec.loop)


def _frames(seconds: float, fps: int) -> float:
    return max(1, round(seconds * fps)) / fps


def _layer_uses_data(layer: LayerSpec) -> bool:
    return (layer.chart is not None or layer.when is not None or layer.style_from is not None
            or any(uses_data(text) for text in (layer.content, *(t for _, t in layer.device_content))))


def _is_shown(condition: str | None, context: Mapping[str, Any], where: Where) -> bool:
    return condition is None or bool(evaluate(condition, context, where))


class StoryPlanner:
    """Plans one video scene by scene, so the renderer can encode scene 1 while scene 2 is spoken.

    Everything that can fail on customer data (conditions, every text, chart data) is resolved
    when the planner is made, before any slow work starts; `scenes()` then only adds speech
    lengths and timing.
    """

    def __init__(self, lib: Library, inputs: PlanInputs, voice_length: VoiceLength, asset_hash: AssetHash,
                 every_scene: bool = False, problems: list[SmartVideoError] | None = None,
                 personal_only: bool = False):
        """every_scene: resolve scenes and layers whose condition is false too (validate);
        problems: collect every data problem there instead of raising the first;
        personal_only: leave out layers that use no data (a check of many customers, once
        `check_fixed_parts` has passed for the story: those layers come out the same for all)."""
        self.lib, self.inputs, self.voice_length, self.asset_hash = lib, inputs, voice_length, asset_hash
        self.personal_only = personal_only
        self.story = lib.story(inputs.story_id)
        self.theme = lib.themes[self.story.theme]
        self.customer_id = str(inputs.record.get("id", ""))
        self.variant = pick_variant(self.story, self.customer_id, inputs.variant)
        try:
            self._resolve(every_scene, problems)
        except RecordRejected:
            raise
        except TemplateDataError as exc:
            raise TemplateDataError(f"customer {self.customer_id or '?'}: {exc}") from None

    def _resolve(self, every_scene: bool, problems: list[SmartVideoError] | None) -> None:
        def attempt(check: Callable[[], Any]) -> Any:
            try:
                return check()
            except SmartVideoError as exc:
                if problems is None:
                    raise
                problems.append(exc)
                return None

        lib, inputs, asset_hash = self.lib, self.inputs, self.asset_hash
        self.context = build_context(self.story, inputs.record, inputs.extra_context)
        variant = self.variant
        refs: tuple[SceneRef, ...] = variant.scenes if variant and variant.scenes else self.story.scenes
        overrides = dict(variant.overrides) if variant else {}
        self.voice_profile = variant.voice if variant and variant.voice else self.story.voice
        self.selected: list[tuple[SceneSpec, str | None]] = []
        for ref in refs:
            scene = _apply_override(lib.scenes[ref.scene], overrides.get(ref.scene))
            shown = (attempt(partial(_is_shown, ref.when, self.context, ref.where))
                     and attempt(partial(_is_shown, scene.when, self.context, scene.where)))
            if not (shown or every_scene):
                continue
            voice = attempt(partial(render_text, scene.voice, self.context, scene.voice_where or scene.where)) \
                if scene.voice else None
            for layer in scene.layers:  # fail now, not after the first scenes are encoded
                if self.personal_only and not _layer_uses_data(layer):
                    continue
                if not (attempt(partial(_is_shown, layer.when, self.context, layer.where)) or every_scene):
                    continue
                attempt(partial(_plan_layer, layer, self.context, self.theme, self.story, lib, inputs.device, 1e6,
                                asset_hash))
            self.selected.append((scene, voice if voice and voice.strip() else None))
        if not self.selected:
            raise TemplateDataError(f"story '{self.story.id}': every scene's condition is false for this customer")
        self.cta_url = attempt(partial(render_text, self.story.cta_url, self.context, self.story.where)) \
            if self.story.cta_url else None

    def scenes(self) -> Iterator[PlannedScene]:
        """Each scene, timed (its voice spoken, its length in whole frames), in order."""
        clock = 0.0
        for index in range(len(self.selected)):
            scene = self.scene(index, clock)
            yield scene
            clock += scene.duration

    def voice_lines(self) -> list[tuple[str, str]]:
        """(text, voice profile) of every line this video speaks, in scene order, each once."""
        return list(dict.fromkeys((text, self.voice_profile) for _, text in self.selected if text))

    def scene(self, index: int, start: float) -> PlannedScene:
        """Scene `index` timed (its voice spoken, its length in whole frames), starting at `start`.

        A scene's pixels depend on its own line only, so a renderer may time (and encode) it before
        the scenes ahead of it, and set `start` once those are timed."""
        fps = self.inputs.device.fps
        scene, text = self.selected[index]
        voice = None
        duration = scene.duration or 0.0
        if text:
            spoken = self.voice_length(text, self.voice_profile)
            duration = max(duration, scene.voice_offset + spoken + scene.padding, scene.min_duration)
            voice = VoiceLine(text=text, profile=self.voice_profile, offset=scene.voice_offset, duration=spoken)
        duration = _frames(max(duration, 0.5), fps)
        layers = tuple(
            _plan_layer(layer, self.context, self.theme, self.story, self.lib, self.inputs.device, duration,
                        self.asset_hash)
            for layer in scene.layers if _is_shown(layer.when, self.context, layer.where)
        )
        personal = any(_layer_uses_data(layer) for layer in scene.layers) or bool(
            scene.voice and uses_data(scene.voice))
        return PlannedScene(
            id=scene.id, index=index, start=round(start, 6), duration=duration,
            background=_background(scene.background, self.lib, self.asset_hash), layers=layers, voice=voice,
            personal=personal, title=scene.title,
        )

    @property
    def variant_name(self) -> str:
        return self.variant.name if self.variant else "default"

    @property
    def story_version(self) -> str:
        """A content hash of the story and the scenes this customer gets, as loaded: two views with
        the same version were made from the same scripts."""
        specs = (self.story, tuple(scene for scene, _ in self.selected))
        return hashlib.sha256(repr(specs).encode()).hexdigest()[:12]

    def plan(self, scenes: Sequence[PlannedScene]) -> RenderPlan:
        """The whole plan, from the scenes `scenes()` gave."""
        story = self.story
        return RenderPlan(
            story_id=story.id, customer_key=customer_key(story.id, self.customer_id),
            variant=self.variant_name, device=self.inputs.device,
            locale=story.locale, scenes=tuple(scenes), music=str(self.lib.path(story.music)) if story.music else None,
            music_volume=story.music_volume, title=story.title, cta_url=self.cta_url,
        )


def check_fits(lib: Library, inputs: PlanInputs, fixed_parts_checked: bool = False) -> None:
    """Raise what planning this customer's video would raise on their data, and do no more: every
    condition, text, chart and glyph the customer's data reaches is resolved (the planner does
    that when made); the timing pass, which cannot fail on data, is left out. With
    fixed_parts_checked (`check_fixed_parts` passed for the story), layers without data are
    left out too."""
    StoryPlanner(lib, inputs, lambda text, profile: 1.0, lambda path: "", personal_only=fixed_parts_checked)


def check_fixed_parts(lib: Library, story_id: str, device: DeviceProfile) -> None:
    """Plan every part of a story that uses no customer data, in every scene any variant can show:
    layers without template syntax, backgrounds, the music. They come out the same for every
    customer, so a campaign checks them once and then only the personal layers of each customer."""
    story = lib.story(story_id)
    theme = lib.themes[story.theme]
    refs = list(story.scenes)
    for variant in story.variants:
        refs.extend(variant.scenes or ())
    overrides: list[dict[str, SceneOverride]] = [{}, *(dict(v.overrides) for v in story.variants)]
    for ref in dict.fromkeys(refs):
        for override in overrides:
            scene = _apply_override(lib.scenes[ref.scene], override.get(ref.scene))
            _background(scene.background, lib, lambda path: "")
            for layer in scene.layers:
                if not _layer_uses_data(layer):
                    _plan_layer(layer, {}, theme, story, lib, device, 1e6, lambda path: "")
    if story.music:
        lib.path(story.music)


def plan_video(lib: Library, inputs: PlanInputs, voice_length: VoiceLength, asset_hash: AssetHash,
               every_scene: bool = False) -> RenderPlan:
    """Resolve every template and time every scene: the one place a story becomes a plan.

    every_scene=True ignores `when` conditions (validate uses it to check every template).
    """
    planner = StoryPlanner(lib, inputs, voice_length, asset_hash, every_scene)
    return planner.plan(list(planner.scenes()))
