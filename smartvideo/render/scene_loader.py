"""Load the content folder (scenes, stories, themes, voices) into checked dataclasses.

Every problem becomes a SceneError with file and line. `collect_library` gathers them all (for
`smartvideo validate`); `load_library` raises at the first batch.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from smartvideo.errors import SceneError, ValidationFailed, did_you_mean
from smartvideo.render.contract import DataContract, parse_contract
from smartvideo.render.scene_keys import (
    ALIGNS,
    ALLOCATION,
    BACKGROUND,
    CHART,
    CHART_KINDS,
    DEVICE_NAMES,
    LAYER,
    OVERRIDE,
    SAMPLE,
    SCENE,
    SCENE_ENTRY,
    STORES,
    STORY,
    STYLE,
    THEME,
    VALIGNS,
    VARIANT,
    Key,
    allowed,
    required,
)
from smartvideo.render.scene_model import (
    ANIMATIONS,
    LAYER_KINDS,
    MONEY_CENTS,
    NUMBER_FORMATS,
    AllocationSpec,
    BackgroundSpec,
    Box,
    ChartSpec,
    LayerSpec,
    SampleSpec,
    SceneOverride,
    SceneRef,
    SceneSpec,
    StoreLookupSpec,
    StorySpec,
    StyleSpec,
    ThemeSpec,
    VariantSpec,
)
from smartvideo.render.templating import Where, check_syntax, uses_data
from smartvideo.render.voice.profiles import VoiceProfile, validate_voice_profiles
from smartvideo.yamlfile import LineDict, LineList, check_keys, key_problems, load_mapping

_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")


@functools.lru_cache(maxsize=8192)
def _resolved(root: Path, relative: str) -> Path:
    """Resolved once: planning asks for the same fonts and assets thousands of times a campaign."""
    return (root / relative).resolve()


@dataclass
class Library:
    """Everything under one content root, checked."""

    root: Path
    scenes: dict[str, SceneSpec] = field(default_factory=dict)
    stories: dict[str, StorySpec] = field(default_factory=dict)
    themes: dict[str, ThemeSpec] = field(default_factory=dict)
    voices: dict[str, VoiceProfile] = field(default_factory=dict)

    def path(self, relative: str) -> Path:
        return _resolved(self.root, relative)

    def story(self, story_id: str) -> StorySpec:
        from smartvideo.errors import SmartVideoError

        if story_id not in self.stories:
            known = ", ".join(sorted(self.stories)) or "none"
            raise SmartVideoError(
                f"unknown story '{story_id}'{did_you_mean(story_id, self.stories)} in {self.root} "
                f"(stories there: {known}); if your story is in another content folder, pass --root FOLDER")
        return self.stories[story_id]


# ---- problems: every mistake in a file is collected, not only the first ---------------------


class Problems:
    """The mistakes found while reading files; a reader that fails gives a default and parsing goes on."""

    def __init__(self) -> None:
        self.errors: list[SceneError] = []

    def add(self, error: SceneError) -> None:
        self.errors.append(error)

    def take(self, read: Callable[[], Any], default: Any) -> Any:
        """`read()`, or `default` after recording its SceneError."""
        try:
            return read()
        except SceneError as exc:
            self.errors.append(exc)
            return default

    def passes(self, check: Callable[[], None]) -> bool:
        """True when `check()` finds nothing wrong; else its SceneError is recorded."""
        try:
            check()
        except SceneError as exc:
            self.errors.append(exc)
            return False
        return True

    def keys(self, data: LineDict, table: dict[str, Key], what: str) -> None:
        self.errors.extend(key_problems(data, allowed(table), required(table), what))


# ---- typed field readers: each raises SceneError at the key's line -------------------------


def _err(data: LineDict, key: str, message: str) -> SceneError:
    return SceneError(message, data.file, data.line_of(key))


def _where(data: LineDict, key: str | None = None) -> Where:
    return Where(data.file, data.line_of(key) if key else data.line)


def _text(data: LineDict, key: str, default: str | None = None, required: bool = False) -> str | None:
    if key not in data or data[key] is None:
        if required:
            raise SceneError(f"missing required key '{key}'", data.file, data.line)
        return default
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _err(data, key, f"'{key}' must be text, got {type(value).__name__}")
    return str(value)


def _number(data: LineDict, key: str, default: float | None = None, low: float = 0.0,
            high: float = 1e9) -> float | None:
    if key not in data or data[key] is None:
        return default
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _err(data, key, f"'{key}' must be a number, got {value!r}")
    if not low <= value <= high:
        raise _err(data, key, f"'{key}' must be between {low:g} and {high:g}, got {value!r}")
    return float(value)


def _flag(data: LineDict, key: str, default: bool) -> bool:
    if key not in data:
        return default
    if not isinstance(data[key], bool):
        raise _err(data, key, f"'{key}' must be true or false, got {data[key]!r}")
    return bool(data[key])


def _mapping(data: LineDict, key: str) -> LineDict:
    value = data[key]
    if not isinstance(value, LineDict):
        raise _err(data, key, f"'{key}' must be a mapping (key: value), got {type(value).__name__}")
    return value


def _list(data: LineDict, key: str) -> LineList:
    value = data[key]
    if not isinstance(value, LineList):
        raise _err(data, key, f"'{key}' must be a list, got {type(value).__name__}")
    return value


def _box(data: LineDict, key: str) -> Box:
    value = data[key]
    if (not isinstance(value, list) or len(value) != 4
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)):
        raise _err(data, key, f"'{key}' must be [x, y, w, h] as fractions of the frame, got {value!r}")
    x, y, w, h = (float(v) for v in value)
    if w <= 0 or h <= 0:
        raise _err(data, key, f"'{key}' {value!r}: width and height must be more than 0")
    over = [f"the left edge by {-x:g} (x < 0)"] if x < 0 else []
    over += [f"the top edge by {-y:g} (y < 0)"] if y < 0 else []
    if x + w > 1.0001:
        over.append(f"the right edge by {x + w - 1:.3g} (x + w = {x + w:.3g}; make w at most {1 - x:.3g})")
    if y + h > 1.0001:
        over.append(f"the bottom edge by {y + h - 1:.3g} (y + h = {y + h:.3g}; make h at most {1 - y:.3g})")
    if over:
        raise _err(data, key, f"'{key}' {value!r} goes past {' and '.join(over)}")
    return (x, y, w, h)


def _choice(data: LineDict, key: str, choices: tuple[str, ...], default: str) -> str:
    value = _text(data, key, default)
    assert value is not None
    if value not in choices:
        raise _err(data, key, f"'{key}' must be one of {', '.join(choices)}; got '{value}'"
                   f"{did_you_mean(value, choices)}")
    return value


def _asset(root: Path, data: LineDict, key: str, value: str | None = None) -> str:
    """An asset path relative to the root that must exist (templated paths are checked later)."""
    rel = value if value is not None else _text(data, key, required=True)
    assert rel is not None
    if not uses_data(rel) and not (root / rel).is_file():
        raise _err(data, key, f"missing asset '{rel}' (looked in {root})")
    return rel


def _template(data: LineDict, key: str, expression: bool = False) -> str | None:
    source = _text(data, key)
    if source is not None:
        check_syntax(source, _where(data, key), expression=expression)
    return source


# ---- scenes ---------------------------------------------------------------------------------


def parse_background(root: Path, data: Any, owner: LineDict, key: str) -> BackgroundSpec:
    if isinstance(data, str):
        if not _COLOR.match(data):
            raise _err(owner, key, f"background '{data}' must be a colour written '#rrggbb' or '#rrggbbaa', "
                       "or a mapping with one of color, gradient, image, video")
        return BackgroundSpec(kind="color", colors=(data,))
    if not isinstance(data, LineDict):
        raise _err(owner, key, "background must be a colour or a mapping with color/gradient/image/video")
    check_keys(data, allowed(BACKGROUND), set(), "background")
    kinds = [k for k in ("color", "gradient", "image", "video") if k in data]
    if len(kinds) != 1:
        raise SceneError("background needs exactly one of color, gradient, image, video", data.file, data.line)
    kind = kinds[0]
    if kind == "color":
        color = _text(data, "color", required=True)
        assert color is not None
        _check_color(data, "color", color)
        return BackgroundSpec(kind="color", colors=(color,))
    if kind == "gradient":
        colors = _list(data, "gradient")
        if len(colors) < 2:
            raise _err(data, "gradient", "gradient needs at least two colours")
        for c in colors:
            _check_color(data, "gradient", str(c))
        return BackgroundSpec(kind="gradient", colors=tuple(str(c) for c in colors))
    return BackgroundSpec(kind=kind, path=_asset(root, data, kind), loop=_flag(data, "loop", True))


def _check_color(data: LineDict, key: str, value: str, palette: dict[str, str] | None = None) -> None:
    if _COLOR.match(value) or (palette is not None and value in palette):
        return
    if palette:
        raise _err(data, key, f"colour '{value}' is neither a colour of this theme{did_you_mean(value, palette)} "
                   f"nor written '#rrggbb' or '#rrggbbaa'; theme colours: {', '.join(palette)}")
    raise _err(data, key, f"colour '{value}' must be written '#rrggbb' or '#rrggbbaa'")


def _device_texts(data: LineDict, kind: str) -> tuple[tuple[str, str], ...]:
    texts = _mapping(data, "devices")
    found = []
    for name in texts:
        if name not in DEVICE_NAMES:
            raise _err(texts, name, f"unknown device '{name}'{did_you_mean(name, DEVICE_NAMES)}; "
                       f"devices: {', '.join(DEVICE_NAMES)}")
        text = _template(texts, name)
        if not text or not text.strip():
            raise _err(texts, name, f"the {name} text is empty")
        found.append((name, text))
    if kind in ("image", "logo", "chart"):
        raise _err(data, "devices", f"per-device text works on text, number and cta layers, not {kind}")
    return tuple(found)


def parse_layer(root: Path, data: Any, owner: LineList, index: int, problems: Problems) -> LayerSpec | None:
    """One layer; its mistakes go to `problems` (None when it cannot be read at all)."""
    if not isinstance(data, LineDict):
        problems.add(SceneError("each layer must be a mapping", owner.file, owner.line_of(index)))
        return None
    problems.keys(data, LAYER, "layer")
    kinds = [k for k in LAYER_KINDS if k in data]
    if len(kinds) != 1:
        problems.add(SceneError(
            f"a layer needs exactly one of {', '.join(LAYER_KINDS)}; found {', '.join(kinds) or 'none'}",
            data.file, data.line,
        ))
        return None
    kind = kinds[0]
    chart = None
    content = ""
    number_format = None
    take = problems.take
    if kind == "chart":
        spec = take(lambda: _mapping(data, "chart"), None)
        if spec is not None:
            problems.keys(spec, CHART, "chart")
            chart = ChartSpec(
                kind=take(lambda: _choice(spec, "kind", CHART_KINDS, "bars"), "bars"),
                items=take(lambda: _template(spec, "items", expression=True), None) or "",
                label=take(lambda: _text(spec, "label") or "", ""),
                value=take(lambda: _text(spec, "value") or "", ""),
                value_format=take(lambda: _choice(spec, "format", NUMBER_FORMATS, "money"), "money"),
                limit=int(take(lambda: _number(spec, "limit", 6, 1, 12), 6) or 6),
            )
    elif kind == "image":
        content = take(lambda: _asset(root, data, "image"), "")
    elif kind == "logo":
        value = data["logo"]
        content = "" if value is True else take(lambda: _asset(root, data, "logo"), "")
    else:
        content = take(lambda: _template(data, kind), "") or ""
        raw = data.get(kind)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            problems.add(_err(data, kind, f"'{kind}' text is empty"))
    if kind == "number":
        number_format = take(lambda: _choice(data, "format", NUMBER_FORMATS, "decimal"), "decimal")
    animation = take(lambda: _choice(data, "animate", ANIMATIONS, "none"), "none")
    if animation == "count_up" and kind != "number":
        problems.add(_err(data, "animate", "count_up works on number layers only"))
    start = take(lambda: _number(data, "from", 0.0, 0.0, 600.0), 0.0) or 0.0
    end = take(lambda: _number(data, "to", None, 0.0, 600.0), None)
    if end is not None and end <= start:
        problems.add(_err(data, "to", f"'to' ({end:g}) must be after 'from' ({start:g})"))
        end = None
    box = take(lambda: _box(data, "box"), None) if "box" in data else None
    default_style = {"cta": "cta", "chart": "chart", "number": "big_number"}.get(kind, "body")
    return LayerSpec(
        kind=kind,
        content=content,
        box=box or (0.0, 0.0, 1.0, 1.0),
        portrait_box=take(lambda: _box(data, "portrait"), None) if "portrait" in data else None,
        style=take(lambda: _text(data, "style", default_style), default_style) or default_style,
        where=_where(data, kind),
        align=take(lambda: _choice(data, "align", ALIGNS, "left"), None) if "align" in data else None,
        valign=take(lambda: _choice(data, "valign", VALIGNS, "top"), None) if "valign" in data else None,
        start=start,
        end=end,
        animation=animation,
        animation_duration=take(lambda: _number(data, "animation_duration", 0.5, 0.05, 10.0), 0.5) or 0.5,
        number_format=number_format,
        chart=chart,
        when=take(lambda: _template(data, "when", expression=True), None),
        device_content=take(lambda: _device_texts(data, kind), ()) if "devices" in data else (),
        style_from=take(lambda: _template(data, "style_from", expression=True), None),
    )


def _open_file(path: Path, table: dict[str, Key], what: str,
               problems: Problems | None) -> tuple[LineDict, Problems, bool, str]:
    """Load a scene, theme or story file: its keys and id checked. Returns the data, where problems go,
    whether they are this call's own (then the caller raises the first) and the id."""
    own = problems is None
    problems = problems if problems is not None else Problems()
    data = load_mapping(path)
    problems.keys(data, table, what)
    file_id = problems.take(lambda: _text(data, "id") or "", "")
    if file_id and file_id != path.stem:
        problems.add(_err(data, "id", f"{what} id '{file_id}' must match the file name '{path.stem}'"))
    return data, problems, own, file_id


def parse_scene(root: Path, path: Path, problems: Problems | None = None) -> SceneSpec:
    """A scene file; with `problems`, every mistake is recorded there and parsing goes on."""
    data, problems, own, scene_id = _open_file(path, SCENE, "scene", problems)
    take = problems.take
    raw = data.get("duration", "auto")
    duration = None if raw == "auto" else take(lambda: _number(data, "duration", None, 0.5, 120.0), 5.0)
    layers_data = take(lambda: _list(data, "layers"), LineList()) if "layers" in data else LineList()
    layers = tuple(layer for i, item in enumerate(layers_data)
                   if (layer := parse_layer(root, item, layers_data, i, problems)) is not None)
    voice = take(lambda: _template(data, "voice"), None)
    if duration is None and not voice and "voice" not in data:
        problems.add(_err(data, "duration", "duration 'auto' needs a voice line to fit; give seconds instead"))
    background = (take(lambda: parse_background(root, data["background"], data, "background"), None)
                  if "background" in data else None)
    if own and problems.errors:
        raise problems.errors[0]
    return SceneSpec(
        id=scene_id or path.stem,
        duration=duration,
        background=background or BackgroundSpec(kind="color", colors=("#000000",)),
        layers=layers,
        voice=voice,
        where=_where(data),
        when=take(lambda: _template(data, "when", expression=True), None),
        padding=take(lambda: _number(data, "padding", 0.6, 0.0, 10.0), 0.6) or 0.0,
        voice_offset=take(lambda: _number(data, "voice_offset", 0.3, 0.0, 10.0), 0.3) or 0.0,
        min_duration=take(lambda: _number(data, "min_duration", 2.0, 0.5, 60.0), 2.0) or 2.0,
        voice_where=_where(data, "voice") if "voice" in data else None,
        title=take(lambda: _text(data, "title", ""), "") or "",
    )


# ---- themes ---------------------------------------------------------------------------------


def _parse_style(name: str, s: LineDict, colors: dict[str, str], fonts: dict[str, str],
                 problems: Problems) -> StyleSpec:
    take = problems.take
    problems.keys(s, STYLE, f"style '{name}'")
    font = take(lambda: _text(s, "font") or "", "")
    if font and font not in fonts:
        problems.add(_err(s, "font", f"font '{font}' is not one of the theme's fonts{did_you_mean(font, fonts)}: "
                          f"{', '.join(fonts)}"))

    def color_ref(key: str) -> str | None:
        value = _text(s, key)
        if value is not None:
            _check_color(s, key, value, colors)
        return value

    return StyleSpec(
        font=font,
        size=take(lambda: _number(s, "size", None, 0.005, 0.5), None) or 0.05,
        color=take(lambda: color_ref("color"), None) or "#ffffff",
        align=take(lambda: _choice(s, "align", ALIGNS, "left"), "left"),
        valign=take(lambda: _choice(s, "valign", VALIGNS, "top"), "top"),
        background=take(lambda: color_ref("background"), None),
        uppercase=take(lambda: _flag(s, "uppercase", False), False),
        shadow=take(lambda: _flag(s, "shadow", False), False),
        line_spacing=take(lambda: _number(s, "line_spacing", 1.15, 0.8, 3.0), 1.15) or 1.15,
    )


def parse_theme(root: Path, path: Path, problems: Problems | None = None) -> ThemeSpec:
    data, problems, own, theme_id = _open_file(path, THEME, "theme", problems)
    take = problems.take
    colors: dict[str, str] = {}
    colors_data = take(lambda: _mapping(data, "colors"), LineDict()) if "colors" in data else None
    for name, value in (colors_data or {}).items():
        assert colors_data is not None
        if problems.passes(partial(_check_color, colors_data, name, str(value))):
            colors[name] = str(value)
    fonts: dict[str, str] = {}
    fonts_data = take(lambda: _mapping(data, "fonts"), None) if "fonts" in data else None
    for name in fonts_data or {}:
        assert fonts_data is not None
        fonts[name] = take(partial(_asset, root, fonts_data, name), "")
    fallback_data = take(lambda: _list(data, "fallback_fonts"), LineList()) if "fallback_fonts" in data else []
    fallback = tuple(take(partial(_asset, root, data, "fallback_fonts", str(p)), "") for p in fallback_data)
    styles = {}
    styles_data = take(lambda: _mapping(data, "styles"), None) if "styles" in data else None
    for name in styles_data or {}:
        assert styles_data is not None
        s = take(partial(_mapping, styles_data, name), None)
        if s is not None:
            styles[name] = _parse_style(name, s, colors, fonts, problems)
    chart_colors = []
    chart_data = take(lambda: _list(data, "chart_colors"), LineList()) if "chart_colors" in data else []
    for c in chart_data:
        if problems.passes(partial(_check_color, data, "chart_colors", str(c), colors)):
            chart_colors.append(str(c))
    logo = take(lambda: _asset(root, data, "logo"), None) if "logo" in data else None
    if own and problems.errors:
        raise problems.errors[0]
    return ThemeSpec(
        id=theme_id or path.stem,
        colors=colors,
        fonts=fonts,
        fallback_fonts=fallback,
        styles=styles,
        chart_colors=tuple(chart_colors) or tuple(colors.values()),
        where=_where(data),
        logo=logo,
    )


# ---- stories --------------------------------------------------------------------------------


def _scene_refs(data: LineDict, key: str, problems: Problems) -> tuple[SceneRef, ...]:
    items = _list(data, key)
    refs = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            refs.append(SceneRef(scene=item, where=Where(items.file, items.line_of(i))))
        elif isinstance(item, LineDict):
            problems.keys(item, SCENE_ENTRY, "scene entry")
            refs.append(SceneRef(
                scene=problems.take(partial(_text, item, "scene", ""), ""),
                where=_where(item, "scene"),
                when=problems.take(partial(_template, item, "when", expression=True), None),
            ))
        else:
            problems.add(SceneError("a scene entry is a scene id or {scene: id, when: ...}", items.file,
                                    items.line_of(i)))
    if not refs and not items:
        raise _err(data, key, "a story needs at least one scene")
    return tuple(refs)


def _parse_override(root: Path, data: LineDict, problems: Problems) -> SceneOverride:
    take = problems.take
    problems.keys(data, OVERRIDE, "scene override")
    layer_content = []
    layers = take(lambda: _mapping(data, "layers"), None) if "layers" in data else None
    for key, value in (layers or {}).items():
        assert layers is not None
        if not str(key).isdigit():
            problems.add(_err(layers, key, "override layers by their index: 0, 1, ..."))
        elif not isinstance(value, str):
            problems.add(_err(layers, key, "a layer override is the new text or image path"))
        elif problems.passes(partial(check_syntax, value, _where(layers, key))):
            layer_content.append((int(key), value))
    return SceneOverride(
        voice=take(lambda: _template(data, "voice"), None),
        duration=take(lambda: _number(data, "duration", None, 0.5, 120.0), None),
        background=take(lambda: parse_background(root, data["background"], data, "background"), None)
        if "background" in data else None,
        layer_content=tuple(layer_content),
    )


def _parse_variants(root: Path, data: LineDict, problems: Problems) -> list[VariantSpec]:
    take = problems.take
    variants: list[VariantSpec] = []
    vdata = take(lambda: _mapping(data, "variants"), None)
    for name in vdata or {}:
        assert vdata is not None
        v = vdata[name] if vdata[name] is not None else LineDict()
        if not isinstance(v, LineDict):
            problems.add(_err(vdata, name, f"variant '{name}' must be a mapping"))
            continue
        if not hasattr(v, "file"):
            v.file, v.line, v.key_lines = vdata.file, vdata.line_of(name), {}
        problems.keys(v, VARIANT, f"variant '{name}'")
        overrides = []
        odata = take(partial(_mapping, v, "overrides"), None) if "overrides" in v else None
        for scene_id in odata or {}:
            assert odata is not None
            o = take(partial(_mapping, odata, scene_id), None)
            if o is not None:
                overrides.append((scene_id, _parse_override(root, o, problems)))
        variants.append(VariantSpec(
            name=str(name),
            weight=take(partial(_number, v, "weight", 1.0, 0.0, 1e6), 1.0) or 0.0,
            where=Where(vdata.file, vdata.line_of(name)),
            scenes=take(partial(_scene_refs, v, "scenes", problems), None) if "scenes" in v else None,
            voice=take(partial(_text, v, "voice"), None),
            overrides=tuple(overrides),
        ))
    if variants and sum(v.weight for v in variants) <= 0:
        problems.add(_err(data, "variants", "variant weights must add up to more than 0"))
    return variants


def _locale(data: LineDict) -> str:
    from babel import Locale, UnknownLocaleError

    from smartvideo.render.formatting import babel_locale

    value = _text(data, "locale", "en") or "en"
    try:
        Locale.parse(babel_locale(value))
    except (UnknownLocaleError, ValueError):
        raise _err(data, "locale", f"unknown locale '{value}'; write a language like en or nl, "
                   "or language_COUNTRY like nl_BE") from None
    return value


def _currency(data: LineDict) -> str:
    from babel.numbers import list_currencies

    value = _text(data, "currency", "EUR") or "EUR"
    if value not in list_currencies():
        raise _err(data, "currency", f"unknown currency '{value}'{did_you_mean(value.upper(), list_currencies())}; "
                   "write an ISO code like EUR, USD or GBP")
    return value


def parse_story(root: Path, path: Path, problems: Problems | None = None) -> StorySpec:
    data, problems, own, story_id = _open_file(path, STORY, "story", problems)
    take = problems.take
    variants = _parse_variants(root, data, problems) if "variants" in data else []
    sample = None
    s = take(lambda: _mapping(data, "sample"), None) if "sample" in data else None
    if s is not None:
        problems.keys(s, SAMPLE, "sample")
        sample = SampleSpec(data=take(lambda: _asset(root, s, "data"), ""),
                            customer=take(lambda: _text(s, "customer") or "", ""))
    stores = None
    st = take(lambda: _mapping(data, "stores"), None) if "stores" in data else None
    if st is not None:
        problems.keys(st, STORES, "stores")
        stores = StoreLookupSpec(data=take(lambda: _asset(root, st, "data"), ""),
                                 location=take(lambda: _text(st, "location", "customer.location"), None)
                                 or "customer.location")
    defaults = {}
    ddata = take(lambda: _mapping(data, "defaults"), None) if "defaults" in data else None
    for key, value in (ddata or {}).items():
        assert ddata is not None
        if not re.match(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$", key):
            problems.add(_err(ddata, key, f"default '{key}' must be a dotted field name like customer.nickname"))
        else:
            defaults[key] = value
    allocation = take(lambda: _allocation(data, len(variants)), None) if "allocation" in data else None
    locale = take(lambda: _locale(data), "en")
    story = StorySpec(
        id=story_id or path.stem,
        title=take(lambda: _text(data, "title", story_id), None) or story_id,
        theme=take(lambda: _text(data, "theme") or "", ""),
        voice=take(lambda: _text(data, "voice") or "", ""),
        scenes=take(lambda: _scene_refs(data, "scenes", problems), ()) if "scenes" in data else (),
        where=_where(data),
        locale=locale,
        currency=take(lambda: _currency(data), "EUR"),
        money_cents=take(lambda: _choice(data, "money_cents", MONEY_CENTS, "always"), "always"),
        music=take(lambda: _asset(root, data, "music"), None) if "music" in data else None,
        music_volume=take(lambda: _number(data, "music_volume", 0.22, 0.0, 1.0), 0.22) or 0.0,
        cta_url=take(lambda: _template(data, "cta_url"), None),
        variants=tuple(variants),
        defaults=defaults,
        sample=sample,
        stores=stores,
        data=take(lambda: _asset(root, data, "data"), None) if "data" in data else None,
        contract=take(partial(_contract, root, data, locale), None) if "contract" in data else None,
        allocation=allocation,
    )
    if own and problems.errors:
        raise problems.errors[0]
    return story


def _contract(root: Path, data: LineDict, locale: str) -> DataContract:
    """The story's `contract:`: a mapping of field -> type, or the name of a schema file holding one."""
    raw = data["contract"]
    if isinstance(raw, str):
        schema = load_mapping(root / _asset(root, data, "contract"))
        fields = schema.get("fields", schema) if isinstance(schema.get("fields"), LineDict) else schema
        return parse_contract(fields, fields.file, fields.line, locale)
    contract = _mapping(data, "contract")
    return parse_contract(contract, data.file, data.line_of("contract"), locale)


def _allocation(data: LineDict, n_variants: int) -> AllocationSpec | None:
    """`allocation: fixed | adaptive`, or {mode: adaptive, reward: cta|completion, min_share: 0.1}."""
    value = data["allocation"]
    if isinstance(value, str):
        spec = LineDict({"mode": value})
        spec.file, spec.line, spec.key_lines = data.file, data.line_of("allocation"), {}
    else:
        spec = _mapping(data, "allocation")
        check_keys(spec, allowed(ALLOCATION), required(ALLOCATION), "allocation")
    mode = _choice(spec, "mode", ("fixed", "adaptive"), "fixed")
    if mode == "fixed":
        return None
    if n_variants < 2:
        raise _err(data, "allocation", "adaptive allocation needs at least two variants")
    min_share = _number(spec, "min_share", 0.1, 0.0, 1.0)
    if min_share is not None and min_share * n_variants > 1.0:
        raise _err(spec, "min_share", f"a min_share of {min_share:g} for {n_variants} variants is over 100%")
    return AllocationSpec(mode=mode, reward=_choice(spec, "reward", ("cta", "completion"), "cta"),
                          min_share=min_share if min_share is not None else 0.1)


# ---- the whole library ----------------------------------------------------------------------


def _cross_check(lib: Library, broken: set[str]) -> list[SceneError]:
    """References between files: story -> scenes, theme, voice; styles used by layers.

    `broken` holds ids of files that failed to load: their own error is reported already, so a
    reference to them is not reported a second time as unknown.
    """
    errors: list[SceneError] = []
    for story in lib.stories.values():
        w = story.where
        if story.theme and story.theme not in lib.themes and story.theme not in broken:
            errors.append(w.error(f"story uses unknown theme '{story.theme}'{did_you_mean(story.theme, lib.themes)} "
                                  f"(themes: {', '.join(lib.themes) or 'none'})"))
        voices = [story.voice] + [v.voice for v in story.variants if v.voice]
        for voice in voices:
            if voice and voice not in lib.voices and lib.voices:
                errors.append(w.error(f"unknown voice profile '{voice}'{did_you_mean(voice, lib.voices)} "
                                      f"(voices: {', '.join(lib.voices)})"))
        refs = list(story.scenes) + [r for v in story.variants for r in (v.scenes or ())]
        for ref in refs:
            if ref.scene and ref.scene not in lib.scenes and ref.scene not in broken:
                errors.append(ref.where.error(f"unknown scene '{ref.scene}'{did_you_mean(ref.scene, lib.scenes)} "
                                              f"(scenes: {', '.join(sorted(lib.scenes))})"))
        for variant in story.variants:
            for scene_id, override in variant.overrides:
                if scene_id not in lib.scenes:
                    if scene_id in broken:
                        continue
                    errors.append(variant.where.error(
                        f"variant overrides unknown scene '{scene_id}'{did_you_mean(scene_id, lib.scenes)}"))
                    continue
                n = len(lib.scenes[scene_id].layers)
                for index, _ in override.layer_content:
                    if index >= n:
                        errors.append(variant.where.error(
                            f"variant overrides layer {index} of scene '{scene_id}', which has {n} layers"))
        theme = lib.themes.get(story.theme)
        if theme is None:
            continue
        for ref in refs:
            scene = lib.scenes.get(ref.scene)
            for layer in scene.layers if scene else ():
                if layer.kind not in ("image", "logo") and layer.style not in theme.styles:
                    errors.append(layer.where.error(
                        f"style '{layer.style}'{did_you_mean(layer.style, theme.styles)} is not in theme "
                        f"'{theme.id}' (styles: {', '.join(theme.styles)})"))
                if layer.kind == "logo" and not layer.content and not theme.logo:
                    errors.append(layer.where.error(f"logo layer but theme '{theme.id}' has no logo"))
    # A scene used by several stories with one theme is reported once.
    unique: dict[str, SceneError] = {}
    for error in errors:
        unique.setdefault(error.location_message(), error)
    return list(unique.values())


def _not_a_content_root(root: Path) -> list[SceneError]:
    if (root / "scenes").is_dir():
        return []
    return [SceneError(f"{root} is not a content folder: it has no scenes/ folder (a content folder holds "
                       "scenes/, scenes/stories/, scenes/themes/ and voices/); run from your content folder "
                       "or pass --root FOLDER", root)]


def collect_library(root: Path) -> tuple[Library, list[SceneError]]:
    """Load everything under root, collecting every error instead of stopping at the first.

    Files with mistakes are still loaded as far as they go (so references to them are checked);
    a file that is not YAML at all is left out and references to it are not reported again.
    """
    lib = Library(root=root.resolve())
    errors: list[SceneError] = _not_a_content_root(root)
    broken: set[str] = set()
    voices_dir = root / "voices"
    if voices_dir.is_dir():
        from smartvideo.render.voice.profiles import load_voice_profiles

        voice_errors = validate_voice_profiles(voices_dir)
        errors.extend(voice_errors)
        if not voice_errors:
            lib.voices = load_voice_profiles(voices_dir)
    loaders: tuple[tuple[Path, Callable[..., Any], dict[str, Any]], ...] = (
        (root / "scenes", parse_scene, lib.scenes),
        (root / "scenes" / "themes", parse_theme, lib.themes),
        (root / "scenes" / "stories", parse_story, lib.stories),
    )
    for folder, parse, into in loaders:
        for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
            problems = Problems()
            try:
                item = parse(lib.root, path, problems)
            except SceneError as exc:
                errors.extend(problems.errors)
                errors.append(exc)
                broken.add(path.stem)
                continue
            errors.extend(problems.errors)
            if not _ID.match(item.id):
                errors.append(SceneError(f"id '{item.id}' must be lower-case letters, digits, _ or -", path, 1))
            into[item.id] = item
    errors.extend(_cross_check(lib, broken))
    return lib, errors


def story_files(lib: Library, story: StorySpec) -> set[str] | None:
    """The files a story is made of (itself, its theme and its scenes); None when one is missing."""
    refs = list(story.scenes) + [r for v in story.variants for r in (v.scenes or ())]
    if story.theme not in lib.themes or any(r.scene not in lib.scenes for r in refs):
        return None
    return {story.where.file, lib.themes[story.theme].where.file, *(lib.scenes[r.scene].where.file for r in refs)}


def load_library(root: Path) -> Library:
    lib, errors = collect_library(root)
    if errors:
        raise ValidationFailed(errors)
    return lib
