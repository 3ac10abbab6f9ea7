"""Load the content folder (scenes, stories, themes, voices) into checked dataclasses.

Every problem becomes a SceneError with file and line. `collect_library` gathers them all (for
`smartvideo validate`); `load_library` raises at the first batch.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smartvideo.errors import SceneError, ValidationFailed
from smartvideo.render.contract import DataContract, parse_contract
from smartvideo.render.scene_model import (
    ANIMATIONS,
    LAYER_KINDS,
    NUMBER_FORMATS,
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
from smartvideo.yamlfile import LineDict, LineList, check_keys, load_mapping

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
            raise SmartVideoError(f"unknown story '{story_id}' (known: {known})")
        return self.stories[story_id]


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
    if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > 1.0001 or y + h > 1.0001:
        raise _err(data, key, f"'{key}' {value!r} must lie inside the frame (0..1, w and h > 0)")
    return (x, y, w, h)


def _choice(data: LineDict, key: str, choices: tuple[str, ...], default: str) -> str:
    value = _text(data, key, default)
    assert value is not None
    if value not in choices:
        raise _err(data, key, f"'{key}' must be one of {', '.join(choices)}; got '{value}'")
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

_BG_KEYS = {"color", "gradient", "image", "video", "loop"}


def parse_background(root: Path, data: Any, owner: LineDict, key: str) -> BackgroundSpec:
    if isinstance(data, str):
        if not _COLOR.match(data):
            raise _err(owner, key, f"background '{data}' must be a colour '#rrggbb' or a mapping")
        return BackgroundSpec(kind="color", colors=(data,))
    if not isinstance(data, LineDict):
        raise _err(owner, key, "background must be a colour or a mapping with color/gradient/image/video")
    check_keys(data, _BG_KEYS, set(), "background")
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


def _check_color(data: LineDict, key: str, value: str) -> None:
    if not _COLOR.match(value):
        raise _err(data, key, f"colour '{value}' must be written '#rrggbb' or '#rrggbbaa'")


_LAYER_KEYS = {
    "text", "number", "image", "chart", "cta", "logo", "box", "portrait", "style", "align",
    "valign", "from", "to", "animate", "animation_duration", "format",
}
_CHART_KEYS = {"kind", "items", "label", "value", "format", "limit"}


def parse_layer(root: Path, data: Any, owner: LineList, index: int) -> LayerSpec:
    if not isinstance(data, LineDict):
        raise SceneError("each layer must be a mapping", owner.file, owner.line_of(index))
    check_keys(data, _LAYER_KEYS, {"box"}, "layer")
    kinds = [k for k in LAYER_KINDS if k in data]
    if len(kinds) != 1:
        raise SceneError(
            f"a layer needs exactly one of {', '.join(LAYER_KINDS)}; found {', '.join(kinds) or 'none'}",
            data.file, data.line,
        )
    kind = kinds[0]
    chart = None
    content = ""
    number_format = None
    if kind == "chart":
        spec = _mapping(data, "chart")
        check_keys(spec, _CHART_KEYS, {"items", "label", "value"}, "chart")
        items = _template(spec, "items", expression=True)
        chart = ChartSpec(
            kind=_choice(spec, "kind", ("bars", "donut"), "bars"),
            items=items or "",
            label=_text(spec, "label", required=True) or "",
            value=_text(spec, "value", required=True) or "",
            value_format=_choice(spec, "format", NUMBER_FORMATS, "money"),
            limit=int(_number(spec, "limit", 6, 1, 12) or 6),
        )
    elif kind in ("image",):
        content = _asset(root, data, "image")
    elif kind == "logo":
        value = data["logo"]
        content = "" if value is True else _asset(root, data, "logo")
    else:
        content = _template(data, kind) or ""
        if not content.strip():
            raise _err(data, kind, f"'{kind}' text is empty")
    if kind == "number":
        number_format = _choice(data, "format", NUMBER_FORMATS, "decimal")
    animation = _choice(data, "animate", ANIMATIONS, "none")
    if animation == "count_up" and kind != "number":
        raise _err(data, "animate", "count_up works on number layers only")
    start = _number(data, "from", 0.0, 0.0, 600.0) or 0.0
    end = _number(data, "to", None, 0.0, 600.0)
    if end is not None and end <= start:
        raise _err(data, "to", f"'to' ({end:g}) must be after 'from' ({start:g})")
    return LayerSpec(
        kind=kind,
        content=content,
        box=_box(data, "box"),
        portrait_box=_box(data, "portrait") if "portrait" in data else None,
        style=_text(data, "style", {"cta": "cta", "chart": "chart", "number": "big_number"}.get(kind, "body"))
        or "body",
        where=_where(data, kind),
        align=_choice(data, "align", ("left", "center", "right"), "left") if "align" in data else None,
        valign=_choice(data, "valign", ("top", "middle", "bottom"), "top") if "valign" in data else None,
        start=start,
        end=end,
        animation=animation,
        animation_duration=_number(data, "animation_duration", 0.5, 0.05, 10.0) or 0.5,
        number_format=number_format,
        chart=chart,
    )


_SCENE_KEYS = {"id", "duration", "background", "when", "layers", "voice", "padding", "voice_offset",
               "min_duration", "description", "title"}


def parse_scene(root: Path, path: Path) -> SceneSpec:
    data = load_mapping(path)
    check_keys(data, _SCENE_KEYS, {"id", "background"}, "scene")
    scene_id = _text(data, "id", required=True) or ""
    if scene_id != path.stem:
        raise _err(data, "id", f"scene id '{scene_id}' must match the file name '{path.stem}'")
    raw = data.get("duration", "auto")
    duration = None if raw == "auto" else _number(data, "duration", None, 0.5, 120.0)
    layers_data = _list(data, "layers") if "layers" in data else LineList()
    layers = tuple(parse_layer(root, item, layers_data, i) for i, item in enumerate(layers_data))
    voice = _template(data, "voice")
    if duration is None and not voice:
        raise _err(data, "duration", "duration 'auto' needs a voice line to fit; give seconds instead")
    return SceneSpec(
        id=scene_id,
        duration=duration,
        background=parse_background(root, data["background"], data, "background"),
        layers=layers,
        voice=voice,
        where=_where(data),
        when=_template(data, "when", expression=True),
        padding=_number(data, "padding", 0.6, 0.0, 10.0) or 0.0,
        voice_offset=_number(data, "voice_offset", 0.3, 0.0, 10.0) or 0.0,
        min_duration=_number(data, "min_duration", 2.0, 0.5, 60.0) or 2.0,
        voice_where=_where(data, "voice") if "voice" in data else None,
        title=_text(data, "title", "") or "",
    )


# ---- themes ---------------------------------------------------------------------------------

_THEME_KEYS = {"id", "colors", "fonts", "fallback_fonts", "styles", "chart_colors", "logo", "description"}
_STYLE_KEYS = {"font", "size", "color", "align", "valign", "background", "uppercase", "shadow",
               "line_spacing"}


def parse_theme(root: Path, path: Path) -> ThemeSpec:
    data = load_mapping(path)
    check_keys(data, _THEME_KEYS, {"id", "colors", "fonts", "styles"}, "theme")
    colors_data = _mapping(data, "colors")
    colors = {}
    for name, value in colors_data.items():
        _check_color(colors_data, name, str(value))
        colors[name] = str(value)
    fonts_data = _mapping(data, "fonts")
    fonts = {name: _asset(root, fonts_data, name) for name in fonts_data}
    fallback = tuple(
        _asset(root, data, "fallback_fonts", str(p))
        for p in (_list(data, "fallback_fonts") if "fallback_fonts" in data else [])
    )

    def color_ref(owner: LineDict, key: str) -> str:
        value = _text(owner, key, required=True) or ""
        if value not in colors:
            _check_color(owner, key, value)
        return value

    styles = {}
    styles_data = _mapping(data, "styles")
    for name in styles_data:
        s = _mapping(styles_data, name)
        check_keys(s, _STYLE_KEYS, {"font", "size", "color"}, f"style '{name}'")
        font = _text(s, "font", required=True) or ""
        if font not in fonts:
            raise _err(s, "font", f"font '{font}' is not one of the theme's fonts: {', '.join(fonts)}")
        styles[name] = StyleSpec(
            font=font,
            size=_number(s, "size", None, 0.005, 0.5) or 0.05,
            color=color_ref(s, "color"),
            align=_choice(s, "align", ("left", "center", "right"), "left"),
            valign=_choice(s, "valign", ("top", "middle", "bottom"), "top"),
            background=color_ref(s, "background") if "background" in s else None,
            uppercase=_flag(s, "uppercase", False),
            shadow=_flag(s, "shadow", False),
            line_spacing=_number(s, "line_spacing", 1.15, 0.8, 3.0) or 1.15,
        )
    chart_colors = []
    if "chart_colors" in data:
        for c in _list(data, "chart_colors"):
            chart_colors.append(str(c) if str(c) in colors else str(c))
            if str(c) not in colors:
                _check_color(data, "chart_colors", str(c))
    theme_id = _text(data, "id", required=True) or ""
    if theme_id != path.stem:
        raise _err(data, "id", f"theme id '{theme_id}' must match the file name '{path.stem}'")
    return ThemeSpec(
        id=theme_id,
        colors=colors,
        fonts=fonts,
        fallback_fonts=fallback,
        styles=styles,
        chart_colors=tuple(chart_colors) or tuple(colors.values()),
        where=_where(data),
        logo=_asset(root, data, "logo") if "logo" in data else None,
    )


# ---- stories --------------------------------------------------------------------------------

_STORY_KEYS = {"id", "title", "theme", "voice", "scenes", "locale", "currency", "music",
               "music_volume", "cta_url", "variants", "defaults", "sample", "stores", "data",
               "description", "contract"}
_VARIANT_KEYS = {"weight", "scenes", "voice", "overrides", "description"}
_OVERRIDE_KEYS = {"voice", "duration", "background", "layers"}


def _scene_refs(data: LineDict, key: str) -> tuple[SceneRef, ...]:
    items = _list(data, key)
    refs = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            refs.append(SceneRef(scene=item, where=Where(items.file, items.line_of(i))))
        elif isinstance(item, LineDict):
            check_keys(item, {"scene", "when"}, {"scene"}, "scene entry")
            refs.append(SceneRef(
                scene=_text(item, "scene", required=True) or "",
                where=_where(item, "scene"),
                when=_template(item, "when", expression=True),
            ))
        else:
            raise SceneError("a scene entry is a scene id or {scene: id, when: ...}", items.file,
                             items.line_of(i))
    if not refs:
        raise _err(data, key, "a story needs at least one scene")
    return tuple(refs)


def _parse_override(root: Path, data: LineDict) -> SceneOverride:
    check_keys(data, _OVERRIDE_KEYS, set(), "scene override")
    layer_content = []
    if "layers" in data:
        layers = _mapping(data, "layers")
        for key, value in layers.items():
            if not str(key).isdigit():
                raise _err(layers, key, "override layers by their index: 0, 1, ...")
            if not isinstance(value, str):
                raise _err(layers, key, "a layer override is the new text or image path")
            check_syntax(value, _where(layers, key))
            layer_content.append((int(key), value))
    if "voice" in data:
        _template(data, "voice")
    return SceneOverride(
        voice=_text(data, "voice"),
        duration=_number(data, "duration", None, 0.5, 120.0),
        background=parse_background(root, data["background"], data, "background")
        if "background" in data else None,
        layer_content=tuple(layer_content),
    )


def parse_story(root: Path, path: Path) -> StorySpec:
    data = load_mapping(path)
    check_keys(data, _STORY_KEYS, {"id", "theme", "voice", "scenes"}, "story")
    story_id = _text(data, "id", required=True) or ""
    if story_id != path.stem:
        raise _err(data, "id", f"story id '{story_id}' must match the file name '{path.stem}'")
    variants = []
    if "variants" in data:
        vdata = _mapping(data, "variants")
        for name in vdata:
            v = vdata[name] if vdata[name] is not None else LineDict()
            if not isinstance(v, LineDict):
                raise _err(vdata, name, f"variant '{name}' must be a mapping")
            if not hasattr(v, "file"):
                v.file, v.line, v.key_lines = vdata.file, vdata.line_of(name), {}
            check_keys(v, _VARIANT_KEYS, set(), f"variant '{name}'")
            overrides = []
            if "overrides" in v:
                odata = _mapping(v, "overrides")
                for scene_id in odata:
                    overrides.append((scene_id, _parse_override(root, _mapping(odata, scene_id))))
            variants.append(VariantSpec(
                name=str(name),
                weight=_number(v, "weight", 1.0, 0.0, 1e6) or 0.0,
                where=Where(vdata.file, vdata.line_of(name)),
                scenes=_scene_refs(v, "scenes") if "scenes" in v else None,
                voice=_text(v, "voice"),
                overrides=tuple(overrides),
            ))
        if variants and sum(v.weight for v in variants) <= 0:
            raise _err(data, "variants", "variant weights must add up to more than 0")
    sample = None
    if "sample" in data:
        s = _mapping(data, "sample")
        check_keys(s, {"data", "customer"}, {"data", "customer"}, "sample")
        sample = SampleSpec(data=_asset(root, s, "data"), customer=_text(s, "customer", required=True) or "")
    stores = None
    if "stores" in data:
        s = _mapping(data, "stores")
        check_keys(s, {"data", "location"}, {"data"}, "stores")
        stores = StoreLookupSpec(data=_asset(root, s, "data"),
                                 location=_text(s, "location", "customer.location") or "")
    defaults = {}
    if "defaults" in data:
        ddata = _mapping(data, "defaults")
        for key, value in ddata.items():
            if not re.match(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$", key):
                raise _err(ddata, key, f"default '{key}' must be a dotted field name like customer.nickname")
            defaults[key] = value
    if "cta_url" in data:
        _template(data, "cta_url")
    locale = _text(data, "locale", "en") or "en"
    return StorySpec(
        id=story_id,
        title=_text(data, "title", story_id) or story_id,
        theme=_text(data, "theme", required=True) or "",
        voice=_text(data, "voice", required=True) or "",
        scenes=_scene_refs(data, "scenes"),
        where=_where(data),
        locale=_text(data, "locale", "en") or "en",
        currency=_text(data, "currency", "EUR") or "EUR",
        music=_asset(root, data, "music") if "music" in data else None,
        music_volume=_number(data, "music_volume", 0.22, 0.0, 1.0) or 0.0,
        cta_url=_text(data, "cta_url"),
        variants=tuple(variants),
        defaults=defaults,
        sample=sample,
        stores=stores,
        data=_asset(root, data, "data") if "data" in data else None,
        contract=_contract(root, data, locale) if "contract" in data else None,
    )


def _contract(root: Path, data: LineDict, locale: str) -> DataContract:
    """The story's `contract:`: a mapping of field -> type, or the name of a schema file holding one."""
    raw = data["contract"]
    if isinstance(raw, str):
        schema = load_mapping(root / _asset(root, data, "contract"))
        fields = schema.get("fields", schema) if isinstance(schema.get("fields"), LineDict) else schema
        return parse_contract(fields, fields.file, fields.line, locale)
    contract = _mapping(data, "contract")
    return parse_contract(contract, data.file, data.line_of("contract"), locale)


# ---- the whole library ----------------------------------------------------------------------


def _cross_check(lib: Library, broken: set[str]) -> list[SceneError]:
    """References between files: story -> scenes, theme, voice; styles used by layers.

    `broken` holds ids of files that failed to load: their own error is reported already, so a
    reference to them is not reported a second time as unknown.
    """
    errors: list[SceneError] = []
    for story in lib.stories.values():
        w = story.where
        if story.theme not in lib.themes and story.theme not in broken:
            errors.append(w.error(f"story uses unknown theme '{story.theme}' (known: {', '.join(lib.themes)})"))
        voices = [story.voice] + [v.voice for v in story.variants if v.voice]
        for voice in voices:
            if voice not in lib.voices and lib.voices:
                errors.append(w.error(f"unknown voice profile '{voice}' (known: {', '.join(lib.voices)})"))
        refs = list(story.scenes) + [r for v in story.variants for r in (v.scenes or ())]
        for ref in refs:
            if ref.scene not in lib.scenes and ref.scene not in broken:
                errors.append(ref.where.error(f"unknown scene '{ref.scene}' (known: {', '.join(sorted(lib.scenes))})"))
        for variant in story.variants:
            for scene_id, override in variant.overrides:
                if scene_id not in lib.scenes:
                    if scene_id in broken:
                        continue
                    errors.append(variant.where.error(f"variant overrides unknown scene '{scene_id}'"))
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
                        f"style '{layer.style}' is not in theme '{theme.id}' (styles: {', '.join(theme.styles)})"))
                if layer.kind == "logo" and not layer.content and not theme.logo:
                    errors.append(layer.where.error(f"logo layer but theme '{theme.id}' has no logo"))
    return errors


def collect_library(root: Path) -> tuple[Library, list[SceneError]]:
    """Load everything under root, collecting every error instead of stopping at the first."""
    lib = Library(root=root.resolve())
    errors: list[SceneError] = []
    broken: set[str] = set()
    voices_dir = root / "voices"
    if voices_dir.is_dir():
        from smartvideo.render.voice.profiles import load_voice_profiles

        voice_errors = validate_voice_profiles(voices_dir)
        errors.extend(voice_errors)
        if not voice_errors:
            lib.voices = load_voice_profiles(voices_dir)
    loaders = (
        (root / "scenes", parse_scene, lib.scenes),
        (root / "scenes" / "themes", parse_theme, lib.themes),
        (root / "scenes" / "stories", parse_story, lib.stories),
    )
    for folder, parse, into in loaders:
        for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
            try:
                item = parse(lib.root, path)
            except SceneError as exc:
                errors.append(exc)
                broken.add(path.stem)
                continue
            if not _ID.match(item.id):
                errors.append(SceneError(f"id '{item.id}' must be lower-case letters, digits, _ or -", path, 1))
            into[item.id] = item  # type: ignore[index,assignment]
    errors.extend(_cross_check(lib, broken))
    return lib, errors


def load_library(root: Path) -> Library:
    lib, errors = collect_library(root)
    if errors:
        raise ValidationFailed(errors)
    return lib
