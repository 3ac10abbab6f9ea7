"""The poster: a still that looks like the paused first frame of the customer's video.

Brand gradient, logo, "Hi <first name>," and the story title, a play button in the middle and a
player bar at the bottom, so the email reads as "a video for you" even with images blocked by
default and clicked open later. Pure Pillow with the brand fonts (and their fallbacks for names
in other scripts); the same inputs give the same bytes.

Everything but the greeting is the same for every customer of a story, so it is drawn once
(`_backdrop`, title included); a customer costs one line of text and a JPEG encode. JPEG, not PNG:
a campaign to a real base draws a poster for nearly every first name, and PNG's encoder took
27 ms of the poster's 40 (JPEG: 3 ms, about as many bytes for this picture).
"""

from __future__ import annotations

import functools
import io
import logging
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image, ImageDraw

from smartvideo.render.drawing import fonts
from smartvideo.render.drawing.layers import rgba
from smartvideo.render.drawing.text_fit import FittedText, fit_text
from smartvideo.render.plan import TextStyle
from smartvideo.render.scene_loader import Library

log = logging.getLogger(__name__)

POSTER_SIZE = (1200, 675)  # 16:9, shown at 600 px wide in mail: sharp on high-density screens
POSTER_TYPE = ("image", "jpeg")  # MIME type of poster_image's bytes
POSTER_FILENAME = "your-video.jpg"
_JPEG_QUALITY = 90  # no visible ringing round the white text on the brand gradient
_SUPERSAMPLE = 3


@dataclass(frozen=True, slots=True)
class PosterSpec:
    """Everything the poster shows, resolved: no library lookups left."""

    greeting: str  # "Hi Anna,"
    title: str  # the story title
    top_color: str
    bottom_color: str
    accent: str
    text_color: str
    headline_font: str
    title_font: str
    fallback_fonts: tuple[str, ...]
    play_button: Path
    logo: Path | None = None
    size: tuple[int, int] = POSTER_SIZE


def poster_spec(
    library: Library, story_id: str, first_name: str | None, greeting: str = "Hi"
) -> PosterSpec:
    """Resolve the story's brand theme into a PosterSpec for this customer."""
    story = library.story(story_id)
    theme = library.themes[story.theme]
    colors = theme.colors

    def pick(*names: str, default: str) -> str:
        return next((colors[n] for n in names if n in colors), default)

    def font(*keys: str) -> str:
        for key in keys:
            if key in theme.fonts:
                return str(library.path(theme.fonts[key]))
        return str(fonts.fonts_dir() / "DejaVuSans-Bold.ttf")

    name = (first_name or "").strip()
    accent = (
        theme.color(theme.chart_colors[0])
        if theme.chart_colors
        else pick("teal", default="#00C2A8")
    )
    return PosterSpec(
        greeting=f"{greeting} {name}," if name else f"{greeting},",
        title=story.title,
        top_color=pick("navy", "dark", "primary", default="#0B1F4B"),
        bottom_color=pick("blue", "secondary", default="#123C8C"),
        accent=accent,
        text_color=pick("white", default="#FFFFFF"),
        headline_font=font("black", "bold", "regular"),
        title_font=font("bold", "regular"),
        fallback_fonts=tuple(str(library.path(p)) for p in theme.fallback_fonts)
        + (str(fonts.fonts_dir() / "DejaVuSans-Bold.ttf"),),
        play_button=library.path("assets/images/play_button.png"),
        logo=library.path(theme.logo) if theme.logo else None,
    )


def _gradient(size: tuple[int, int], top: str, bottom: str) -> Image.Image:
    (r1, g1, b1, _), (r2, g2, b2, _) = rgba(top), rgba(bottom)
    w, h = size
    column = Image.new("RGBA", (1, h))
    for y in range(h):
        t = y / max(1, h - 1)
        column.putpixel(
            (0, y),
            (round(r1 + (r2 - r1) * t), round(g1 + (g2 - g1) * t), round(b1 + (b2 - b1) * t), 255),
        )
    return column.resize((w, h))


def _draw_text(
    canvas: Image.Image, text: str, style: TextStyle, box: tuple[int, int, int, int]
) -> FittedText:
    x, y, w, h = box
    fitted = fit_text(text, style, w, h)
    draw = ImageDraw.Draw(canvas)
    baseline = y + fitted.ascent
    for line in fitted.lines:
        fonts.draw_line(draw, (x, baseline), line, fitted.fonts, fitted.size, rgba(style.color))
        baseline += fitted.line_height
    return fitted


def _paste_fitted(canvas: Image.Image, image_path: Path, box: tuple[int, int, int, int]) -> bool:
    """Paste the picture scaled into box; False when it cannot be read (the caller decides)."""
    x, y, w, h = box
    try:
        with Image.open(image_path) as source:
            picture = source.convert("RGBA")
    except OSError as exc:
        # An invitation still goes out with a broken asset; `smartvideo validate` names the file.
        log.warning("poster: cannot read %s (%s)", image_path, exc)
        return False
    picture.thumbnail((w, h), Image.Resampling.LANCZOS)
    canvas.alpha_composite(picture, (x + (w - picture.width) // 2, y + (h - picture.height) // 2))
    return True


def _drawn_play_button(canvas: Image.Image, box: tuple[int, int, int, int]) -> None:
    """A white disc with a dark triangle: the play button when its image cannot be read."""
    x, y, size, _ = box
    s = _SUPERSAMPLE
    mask = Image.new("L", (size * s, size * s), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, size * s - 1, size * s - 1), fill=255)
    disc = Image.new("RGBA", mask.size, (255, 255, 255, 255))
    disc.putalpha(mask)
    tri = [
        (size * s * 0.38, size * s * 0.28),
        (size * s * 0.38, size * s * 0.72),
        (size * s * 0.74, size * s * 0.5),
    ]
    ImageDraw.Draw(disc).polygon(tri, fill=(11, 31, 75, 255))
    canvas.alpha_composite(disc.resize((size, size), Image.Resampling.LANCZOS), (x, y))


def _styles(spec: PosterSpec) -> tuple[TextStyle, TextStyle]:
    """The greeting's style and the title's."""
    h = spec.size[1]
    headline = TextStyle(
        font=spec.headline_font,
        fallback_fonts=spec.fallback_fonts,
        color=spec.text_color,
        max_size=round(h * 0.13),
        min_size=round(h * 0.05),
        line_spacing=1.05,
    )
    subtitle = TextStyle(
        font=spec.title_font,
        fallback_fonts=spec.fallback_fonts,
        color=spec.text_color,
        max_size=round(h * 0.065),
        min_size=round(h * 0.035),
    )
    return headline, subtitle


@functools.lru_cache(maxsize=16)
def _backdrop(spec: PosterSpec) -> Image.Image:
    """Everything but the greeting (the spec's greeting is not read): the same for every customer
    of a story, so drawn once, as RGB."""
    size, top, bottom, accent_color = spec.size, spec.top_color, spec.bottom_color, spec.accent
    logo, play = spec.logo, spec.play_button
    w, h = size
    canvas = _gradient(size, top, bottom)
    # A soft accent band across the lower third, like the backgrounds of the story's scenes.
    band = Image.new("L", (w * _SUPERSAMPLE, h * _SUPERSAMPLE), 0)
    ImageDraw.Draw(band).ellipse(
        (
            -w * _SUPERSAMPLE // 2,
            int(h * 0.62) * _SUPERSAMPLE,
            w * _SUPERSAMPLE * 3 // 2,
            h * 2 * _SUPERSAMPLE,
        ),
        fill=46,
    )
    band = band.resize((w, h), Image.Resampling.LANCZOS)
    accent = Image.new("RGBA", (w, h), rgba(accent_color)[:3] + (255,))
    accent.putalpha(band)
    canvas.alpha_composite(accent)

    margin = round(w * 0.06)
    if logo and logo.is_file():
        _paste_fitted(canvas, logo, (margin, round(h * 0.06), round(w * 0.22), round(h * 0.1)))

    # The button (from half the height down) and the bar never overlap the words above them.
    button = round(h * 0.3)
    button_box = ((w - button) // 2, round(h * 0.5), button, button)
    if not _paste_fitted(canvas, play, button_box):
        _drawn_play_button(canvas, button_box)

    # A paused player's bar: it is what makes a still read as a video at a glance.
    bar_y, bar_h = round(h * 0.92), max(4, round(h * 0.012))
    draw = ImageDraw.Draw(canvas)
    draw.rounded_rectangle(
        (margin, bar_y, w - margin, bar_y + bar_h), radius=bar_h // 2, fill=(255, 255, 255, 90)
    )
    draw.rounded_rectangle(
        (margin, bar_y, margin + round((w - 2 * margin) * 0.04), bar_y + bar_h),
        radius=bar_h // 2,
        fill=rgba(accent_color),
    )
    _draw_text(canvas, spec.title, _styles(spec)[1], (margin, round(h * 0.38), round(w * 0.6), round(h * 0.1)))
    return canvas.convert("RGB")


def draw_poster(spec: PosterSpec) -> Image.Image:
    """The poster as an RGB image."""
    w, h = spec.size
    canvas = _backdrop(replace(spec, greeting="")).copy()
    margin = round(w * 0.06)
    _draw_text(canvas, spec.greeting, _styles(spec)[0], (margin, round(h * 0.2), round(w * 0.88), round(h * 0.17)))
    return canvas


# Customers share first names, so a campaign draws each distinct poster once (about 55 KB each).
@functools.lru_cache(maxsize=512)
def poster_image(spec: PosterSpec) -> bytes:
    """The poster as JPEG bytes (deterministic: no timestamps in the file), kept for reuse."""
    out = io.BytesIO()
    draw_poster(spec).save(out, format="JPEG", quality=_JPEG_QUALITY)
    return out.getvalue()
