"""Font loading, glyph coverage and run splitting.

Brand fonts (Lato) cover Latin only, so every string is split into runs, each drawn with the
first font in the chain that has its glyphs. That way a Polish, Turkish, Greek or Cyrillic name
never shows tofu boxes. Fonts and cmaps are cached per path because count-up animations draw the
same layer hundreds of times.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont
from PIL import ImageDraw, ImageFont, features

from smartvideo.errors import RenderError
from smartvideo.render.plan import TextStyle

# Raqm gives kerning and ligatures; fall back to the basic engine where libraqm is missing.
_LAYOUT = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC

# Characters that no bundled font has, drawn as a close, readable stand-in instead of tofu.
# U+0243 (B with stroke) was the bitcoin sign before U+20BF existed.
_SUBSTITUTES: dict[str, str] = {"\u20bf": "\u0243"}

# Zero-width and layout controls that must never become a run of their own.
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}


def fonts_dir() -> Path:
    """The bundled fonts folder (repository checkout or installed wheel)."""
    from smartvideo.settings import bundled_content_root

    candidate = bundled_content_root() / "assets" / "fonts"
    if candidate.is_dir():
        return candidate
    raise RenderError("bundled fonts not found (assets/fonts)")


@lru_cache(maxsize=1)
def installed_fallbacks() -> tuple[str, ...]:
    """Pip-installed Noto fonts, chained after a theme's own: Latin, Greek and Cyrillic, then the
    other scripts (Arabic and Hebrew first), symbols, emoji (monochrome) and Chinese/Japanese/Korean.

    They come from the `manimgx-fonts` and `manimgx-fonts-cjk` packages (SIL OFL); a missing
    package only shortens the chain, and the plan then refuses what no font can draw.
    """
    import importlib.resources

    paths: list[str] = []
    for package, first in (("manimgx_fonts", ("NotoSans[wght].ttf", "NotoSansArabic[wght].ttf",
                                              "NotoSansHebrew[wght].ttf")), ("manimgx_fonts_cjk", ())):
        try:
            folder = Path(str(importlib.resources.files(package)))
        except ModuleNotFoundError:
            continue
        files = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in (".ttf", ".otf", ".ttc"))
        late = [n for n in ("NotoSansSymbols[wght].ttf", "NotoEmoji[wght].ttf") if n in files]
        ordered = [n for n in first if n in files]
        ordered += [n for n in files if n not in ordered and n not in late and "Italic" not in n]
        paths.extend(str(folder / n) for n in ordered + late)
    return tuple(paths)


def _ignorable(ch: str) -> bool:
    # Format characters (joiners, direction marks) and variation selectors carry no ink of their own.
    return ch in _INVISIBLE or unicodedata.category(ch) == "Cf" or 0xFE00 <= ord(ch) <= 0xFE0F or (
        0xE0100 <= ord(ch) <= 0xE01EF)


@lru_cache(maxsize=8192)
def missing_glyphs(text: str, paths: tuple[str, ...]) -> str:
    """The characters of text that no font in paths can draw, even as a substitute (empty: all drawn)."""
    missing: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in ("\n", " ") or ch.isspace() or _ignorable(ch) or _font_for(ch, paths) is not None:
            continue
        alternatives = (_SUBSTITUTES.get(ch, ""), unicodedata.normalize("NFKD", ch))
        drawable = any(alt and all(_font_for(c, paths) is not None for c in alt) for alt in alternatives)
        if not drawable and ch not in missing:
            missing.append(ch)
    return "".join(missing)


def default_style(**overrides: object) -> TextStyle:
    """A readable brand style for layers planned without one."""
    d = fonts_dir()
    values: dict[str, object] = {
        "font": str(d / "Lato-Bold.ttf"),
        "fallback_fonts": (str(d / "DejaVuSans-Bold.ttf"), *installed_fallbacks()),
        "color": "#ffffff",
        "max_size": 72,
        "min_size": 20,
    }
    values.update(overrides)
    return TextStyle(**values)  # type: ignore[arg-type]


@lru_cache(maxsize=64)
def coverage(path: str) -> frozenset[int]:
    """Code points the font at path has a glyph for (read once per path)."""
    try:
        with TTFont(path, lazy=True, fontNumber=0) as font:
            cmap = font.getBestCmap() or {}
    except Exception as exc:  # fontTools raises many exception types for broken files
        raise RenderError(f"cannot read font {path}: {exc}") from exc
    return frozenset(cmap)


@lru_cache(maxsize=512)
def load_font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """A Pillow font for (path, size), cached."""
    try:
        font = ImageFont.truetype(path, max(1, int(size)), layout_engine=_LAYOUT)
    except OSError as exc:
        raise RenderError(f"cannot load font {path}: {exc}") from exc
    _at_least_regular(font)
    return font


def _at_least_regular(font: ImageFont.FreeTypeFont) -> None:
    # A variable fallback font (Noto Sans CJK's) may default to its thinnest instance; text set
    # in it beside the brand font would look faint, so its weight starts at regular (400).
    try:
        axes = font.get_variation_axes()
    except (OSError, AttributeError):
        return  # not a variable font, or FreeType built without variations
    values: list[float] = []
    for axis in axes:
        low, high = float(axis["minimum"] or 0), float(axis["maximum"] or 0)
        default = float(axis.get("default") or low)
        if axis.get("name") in (b"Weight", "Weight"):
            default = min(max(default, 400.0), high)
        values.append(default)
    try:
        font.set_variation_by_axes(values)
    except OSError:
        return


def chain(style: TextStyle) -> tuple[str, ...]:
    """The main font followed by its fallbacks, without duplicates."""
    seen: list[str] = []
    for path in (style.font, *style.fallback_fonts):
        if path and path not in seen:
            seen.append(path)
    return tuple(seen)


def _font_for(ch: str, paths: tuple[str, ...]) -> str | None:
    cp = ord(ch)
    for path in paths:
        if cp in coverage(path):
            return path
    return None


@lru_cache(maxsize=4096)
def prepare(text: str, paths: tuple[str, ...]) -> str:
    """NFC-normalise and replace characters no font in paths can draw.

    Uncovered characters are tried as a known substitute, then as their decomposition (e.g. a
    rare ligature letter); what still has no glyph is dropped rather than drawn as a box.
    """
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        if _ignorable(ch):
            continue
        if ch in ("\n", " ") or _font_for(ch, paths) is not None:
            out.append(ch)
            continue
        if ch.isspace():
            out.append(" ")
            continue
        for alt in (_SUBSTITUTES.get(ch, ""), unicodedata.normalize("NFKD", ch)):
            if alt and all(_font_for(c, paths) is not None for c in alt):
                out.append(alt)
                break
    return "".join(out)


@lru_cache(maxsize=4096)
def split_runs(text: str, paths: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Split prepared text into (substring, font path) runs by glyph coverage.

    Spaces and combining marks stay in the current run when its font has them, so a run is not
    broken at every space between two fallback words.
    """
    runs: list[list[str]] = []
    for ch in text:
        path = _font_for(ch, paths)
        joins = ch == " " or unicodedata.combining(ch)
        keep = runs and joins and ord(ch) in coverage(runs[-1][1])
        if keep or (runs and path == runs[-1][1]):
            runs[-1][0] += ch
        else:
            runs.append([ch, path or paths[0]])
    return tuple((t, p) for t, p in runs)


def _features(feats: tuple[str, ...]) -> list[str] | None:
    # OpenType features need raqm; the basic engine raises if given any.
    return list(feats) if feats and _LAYOUT == ImageFont.Layout.RAQM else None


@dataclass(frozen=True, slots=True)
class LineMetrics:
    """Horizontal extent of one line: ink may start left of the pen or end past the advance."""

    left: float  # <= 0: where the ink starts relative to the pen origin
    right: float  # >= advance: where the ink or advance ends
    advance: float

    @property
    def width(self) -> float:
        return self.right - self.left


@lru_cache(maxsize=16384)
def measure(
    text: str, paths: tuple[str, ...], size: int, feats: tuple[str, ...] = ()
) -> LineMetrics:
    """Measure a line drawn with run splitting, including the ink of every run."""
    pen = 0.0
    left = 0.0
    right = 0.0
    for run, path in split_runs(text, paths):
        font = load_font(path, size)
        if run.strip():
            ink_l, _, ink_r, _ = font.getbbox(run, features=_features(feats), anchor="ls")
            left = min(left, pen + ink_l)
            right = max(right, pen + ink_r)
        pen += font.getlength(run, features=_features(feats))
    return LineMetrics(left=left, right=max(right, pen), advance=pen)


@lru_cache(maxsize=1024)
def vertical_metrics(paths: tuple[str, ...], size: int) -> tuple[int, int]:
    """(ascent, descent) in pixels that hold a line in any font of the chain."""
    ascent = descent = 0
    for path in paths:
        a, d = load_font(path, size).getmetrics()
        ascent, descent = max(ascent, a), max(descent, d)
    return ascent, descent


def draw_line(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    paths: tuple[str, ...],
    size: int,
    fill: int | tuple[int, ...],
    feats: tuple[str, ...] = (),
) -> None:
    """Draw text with run splitting; xy is the pen origin on the baseline."""
    x, baseline = xy
    for run, path in split_runs(text, paths):
        font = load_font(path, size)
        if run.strip():
            draw.text((x, baseline), run, font=font, fill=fill, anchor="ls",
                      features=_features(feats))
        x += font.getlength(run, features=_features(feats))
