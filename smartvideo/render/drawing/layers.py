"""Draw one PlannedLayer into an RGBA image placed in frame pixels.

Everything here is a pure function of the layer (and the count-up value): no randomness, no
clock, no system fonts, so the same layer gives byte-identical PNGs and can be cached by hash.
Shapes are drawn as masks at a higher resolution and downscaled with LANCZOS for smooth edges;
colour is applied after, so alpha edges never pick up dark fringes.
"""

from __future__ import annotations

from dataclasses import replace

from PIL import Image, ImageChops, ImageOps

from smartvideo.errors import RenderError
from smartvideo.render.drawing import fonts
from smartvideo.render.drawing.charts import _chart_image
from smartvideo.render.drawing.paint import (
    _draw_block,
    _paint,
    _rounded_mask,
    _shadow,
    _shadow_margin,
    rgba,
)
from smartvideo.render.drawing.text_fit import FittedText, fit_text
from smartvideo.render.plan import PlannedLayer, TextStyle

DEFAULT_CTA_COLOR = "#ff5a36"  # warm brand orange: reads as "press me" on dark and light video
NUMBER_FEATURES = ("tnum",)  # tabular digits where the font has them: count-up does not wobble

Placed = tuple[Image.Image, tuple[int, int]]


def draw_layer(layer: PlannedLayer, *, number_value: float | None = None) -> Placed:
    """Draw layer; returns an RGBA image and its top-left position in frame pixels.

    The image is the box size at the box position, except that a soft shadow may extend it
    by a margin on every side (the position then moves up-left by that margin).
    number_value draws an intermediate count-up value at the size fitted for the final text.
    """
    x, y, w, h = (int(v) for v in layer.box)
    if w <= 0 or h <= 0:
        return Image.new("RGBA", (max(1, w), max(1, h)), (0, 0, 0, 0)), (x, y)
    style = layer.style or fonts.default_style()
    kind = layer.kind
    if kind == "text":
        img, (dx, dy) = _text_image(layer.text, layer.text, style, w, h)
    elif kind == "number":
        img, (dx, dy) = _number_image(layer, style, w, h, number_value)
    elif kind == "cta":
        img, (dx, dy) = _cta_image(layer.text, style, w, h)
    elif kind in ("image", "logo"):
        img, (dx, dy) = _picture_image(layer.image, w, h), (0, 0)
    elif kind == "chart":
        img, (dx, dy) = _chart_image(layer, style, w, h), (0, 0)
    else:
        raise RenderError(f"unknown layer kind {kind!r}")
    return img, (x + dx, y + dy)


# --- colours and masks -------------------------------------------------------------------------


def _card_padding(style: TextStyle, w: int, h: int) -> tuple[int, int]:
    """Padding inside a text background: generous, but never more than a share of the box."""
    return min(round(style.max_size * 0.6), w // 8), min(round(style.max_size * 0.35), h // 6)


def _fit_pair(fit_source: str, draw_text: str, style: TextStyle, w: int, h: int,
              feats: tuple[str, ...]) -> tuple[FittedText, FittedText]:
    """Fit the size on fit_source, then lay draw_text out at that size (count-up stays stable).

    Returns (fit of fit_source, fit of draw_text).
    """
    fitted = fit_text(fit_source, style, w, h, features=feats)
    if draw_text == fit_source:
        return fitted, fitted
    pinned = replace(style, max_size=fitted.size, min_size=min(style.min_size, fitted.size))
    return fitted, fit_text(draw_text, pinned, w, h, features=feats)


def _text_image(fit_source: str, draw_text: str, style: TextStyle, w: int, h: int,
                feats: tuple[str, ...] = ()) -> Placed:
    pad_x, pad_y = _card_padding(style, w, h) if style.background else (0, 0)
    source, fitted = _fit_pair(fit_source, draw_text, style, w - 2 * pad_x, h - 2 * pad_y, feats)
    # Shadow size follows the final text's size so every count-up frame has the same margin,
    # hence the same image size and position (the encoder plays them as one image sequence).
    ref = source.size
    blur, offset = max(1.5, ref * 0.09), max(1, round(ref * 0.04))
    margin = _shadow_margin(blur, offset) if style.shadow else 0
    size = (w + 2 * margin, h + 2 * margin)
    out = Image.new("RGBA", size, (0, 0, 0, 0))
    text_mask = Image.new("L", size, 0)
    if style.background and fitted.lines:
        cw, ch = fitted.width + 2 * pad_x, fitted.height + 2 * pad_y
        cx = margin + {"center": (w - cw) // 2, "right": w - cw}.get(style.align, 0)
        cy = margin + {"middle": (h - ch) // 2, "bottom": h - ch}.get(style.valign, 0)
        card = Image.new("L", size, 0)
        card.paste(_rounded_mask(cw, ch, min(ch / 2, fitted.size * 0.45)), (cx, cy))
        if style.shadow:
            out.alpha_composite(_shadow(_offset(card, offset), blur, 0.35))
        out.alpha_composite(_paint(card, rgba(style.background)))
        _draw_block(text_mask, fitted, (cx + pad_x, cy + pad_y, fitted.width, fitted.height),
                    style.align, "top")
    else:
        _draw_block(text_mask, fitted, (margin, margin, w, h), style.align, style.valign)
        if style.shadow:
            out.alpha_composite(_shadow(_offset(text_mask, offset), blur, 0.55))
    out.alpha_composite(_paint(text_mask, rgba(style.color)))
    return out, (-margin, -margin)


def _offset(mask: Image.Image, dy: int) -> Image.Image:
    """mask moved down by dy pixels (light falls from above)."""
    moved = Image.new("L", mask.size, 0)
    moved.paste(mask, (0, dy))
    return moved


def _number_image(layer: PlannedLayer, style: TextStyle, w: int, h: int,
                  value: float | None) -> Placed:
    final = layer.text
    if not final and layer.number is not None:
        final = _format(layer.number, layer)
    shown = final if value is None else _format(value, layer)
    if style.uppercase:
        final, shown = final.upper(), shown.upper()
    return _text_image(final or shown, shown, style, w, h, NUMBER_FEATURES)


def _format(value: float, layer: PlannedLayer) -> str:
    # Imported late: formatting is its own module and drawing must import without it.
    from smartvideo.render.formatting import format_number

    return format_number(value, layer.number_format, layer.locale, layer.currency, layer.money_cents)


def _cta_image(text: str, style: TextStyle, w: int, h: int) -> Placed:
    """A pill button centred in the box, text centred in the pill, soft shadow below."""
    blur, offset = max(2.0, h * 0.08), max(1, round(h * 0.06))
    margin = _shadow_margin(blur, offset)
    pad_y, pad_x = round(h * 0.24), round(h * 0.55)
    centred = replace(style, align="center", valign="top")
    fitted = fit_text(text, centred, max(1, w - 2 * pad_x), max(1, h - 2 * pad_y))
    pill_w = min(w, max(fitted.width + 2 * pad_x, round(h * 2.6)))
    size = (w + 2 * margin, h + 2 * margin)
    px, py = margin + (w - pill_w) // 2, margin
    pill = Image.new("L", size, 0)
    pill.paste(_rounded_mask(pill_w, h, h / 2), (px, py))
    out = Image.new("RGBA", size, (0, 0, 0, 0))
    out.alpha_composite(_shadow(_offset(pill, offset), blur, 0.3))
    out.alpha_composite(_paint(pill, rgba(style.background or DEFAULT_CTA_COLOR)))
    text_mask = Image.new("L", size, 0)
    ty = py + (h - fitted.height) // 2 + _optical_shift(fitted)
    _draw_block(text_mask, fitted, (px, ty, pill_w, fitted.height), "center", "top")
    out.alpha_composite(_paint(text_mask, rgba(style.color)))
    return out, (-margin, -margin)


def _optical_shift(fitted: FittedText) -> int:
    """Pixels to move a one-line block so its capitals, not its metric box, sit centred."""
    if len(fitted.lines) != 1:
        return 0
    font = fonts.load_font(fitted.fonts[0], fitted.size)
    cap_top = font.getbbox("H", anchor="ls")[1]  # negative: above the baseline
    cap_mid = fitted.ascent + cap_top / 2
    return round(fitted.height / 2 - cap_mid)


# --- pictures ----------------------------------------------------------------------------------


def _picture_image(path: str | None, w: int, h: int) -> Image.Image:
    """The image at path, contained in w x h, centred; opaque pictures get rounded corners."""
    if not path:
        raise RenderError("image layer without an image path")
    try:
        with Image.open(path) as src:
            src.load()
            pic = ImageOps.exif_transpose(src)
    except (OSError, ValueError) as exc:
        raise RenderError(f"cannot read image {path}: {exc}") from exc
    has_alpha = pic.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in pic.info
    pic = pic.convert("RGBA") if pic.mode in ("RGB", "RGBA", "L", "LA", "P", "PA") \
        else pic.convert("RGB").convert("RGBA")
    scale = min(w / pic.width, h / pic.height)
    nw, nh = max(1, round(pic.width * scale)), max(1, round(pic.height * scale))
    if (nw, nh) != pic.size:
        pic = pic.resize((nw, nh), Image.Resampling.LANCZOS)
    if not has_alpha:
        radius = max(2.0, min(nw, nh) * 0.04)
        pic.putalpha(ImageChops.multiply(pic.getchannel("A"), _rounded_mask(nw, nh, radius)))
    out = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    out.alpha_composite(pic, ((w - nw) // 2, (h - nh) // 2))
    return out
