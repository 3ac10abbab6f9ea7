"""Drawing primitives shared by the layer kinds: colours, supersampled masks, shadows, text blocks."""

from __future__ import annotations

import math
from collections.abc import Callable

from PIL import Image, ImageColor, ImageDraw, ImageFilter

from smartvideo.errors import RenderError
from smartvideo.render.drawing import fonts
from smartvideo.render.drawing.text_fit import FittedText

SUPERSAMPLE = 4


def rgba(color: str) -> tuple[int, int, int, int]:
    """Parse "#rgb", "#rrggbb" or "#rrggbbaa" (or a CSS name) to RGBA."""
    try:
        return ImageColor.getcolor(color, "RGBA")  # type: ignore[return-value]
    except (ValueError, AttributeError) as exc:
        raise RenderError(f"not a colour: {color!r}") from exc


def _muted(color: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    r, g, b, a = color
    return (r, g, b, round(a * 0.4))


def _paint(mask: Image.Image, color: tuple[int, int, int, int]) -> Image.Image:
    """An RGBA image of one colour whose alpha is mask scaled by the colour's alpha."""
    r, g, b, a = color
    out = Image.new("RGBA", mask.size, (r, g, b, 0))
    out.putalpha(mask if a == 255 else mask.point(lambda v: v * a // 255))
    return out


def _ss_mask(
    size: tuple[int, int], draw_fn: Callable[[ImageDraw.ImageDraw, int], None]
) -> Image.Image:
    """Draw a mask at SUPERSAMPLE x (less for big shapes) and downscale for smooth edges."""
    w, h = max(1, size[0]), max(1, size[1])
    scale = max(2, min(SUPERSAMPLE, 2048 // max(w, h, 1)))
    big = Image.new("L", (w * scale, h * scale), 0)
    draw_fn(ImageDraw.Draw(big), scale)
    return big.resize((w, h), Image.Resampling.LANCZOS)


def _rounded_mask(w: int, h: int, radius: float) -> Image.Image:
    r = max(0.0, min(radius, w / 2, h / 2))
    return _ss_mask(
        (w, h),
        lambda d, s: d.rounded_rectangle((0, 0, w * s - 1, h * s - 1), radius=r * s, fill=255),
    )


def _shadow(mask: Image.Image, blur: float, opacity: float) -> Image.Image:
    """A soft black shadow of mask (same size; the caller leaves room for the blur)."""
    soft = mask.filter(ImageFilter.GaussianBlur(blur))
    return _paint(soft, (0, 0, 0, round(255 * opacity)))


def _shadow_margin(blur: float, offset: int) -> int:
    return math.ceil(3 * blur) + offset


# --- text --------------------------------------------------------------------------------------


def _draw_block(mask: Image.Image, fitted: FittedText, box: tuple[int, int, int, int],
                align: str, valign: str) -> None:
    """Draw fitted lines in white into mask, aligned inside box (x, y, w, h)."""
    bx, by, bw, bh = box
    if valign == "middle":
        top = by + (bh - fitted.height) // 2
    elif valign == "bottom":
        top = by + bh - fitted.height
    else:
        top = by
    draw = ImageDraw.Draw(mask)
    baseline = top + fitted.ascent
    for line in fitted.lines:
        m = fonts.measure(line, fitted.fonts, fitted.size, fitted.features)
        if align == "center":
            pen = bx + (bw - m.width) / 2 - m.left
        elif align == "right":
            pen = bx + bw - m.right
        else:
            pen = bx - m.left
        fonts.draw_line(draw, (round(pen), baseline), line, fitted.fonts, fitted.size, 255,
                        fitted.features)
        baseline += fitted.line_height
