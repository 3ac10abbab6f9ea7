"""Draw one PlannedLayer into an RGBA image placed in frame pixels.

Everything here is a pure function of the layer (and the count-up value): no randomness, no
clock, no system fonts, so the same layer gives byte-identical PNGs and can be cached by hash.
Shapes are drawn as masks at a higher resolution and downscaled with LANCZOS for smooth edges;
colour is applied after, so alpha edges never pick up dark fringes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

from PIL import Image, ImageChops, ImageColor, ImageDraw, ImageFilter, ImageOps

from smartvideo.drawing import fonts
from smartvideo.drawing.text_fit import FittedText, fit_text
from smartvideo.errors import RenderError
from smartvideo.render_plan import ChartItem, PlannedLayer, TextStyle

DEFAULT_CTA_COLOR = "#ff5a36"  # warm brand orange: reads as "press me" on dark and light video
CHART_PALETTE = ("#4f8cff", "#ffb020", "#2ec4a6", "#ff5a7a", "#9b6bff", "#7fd35a")
NUMBER_FEATURES = ("tnum",)  # tabular digits where the font has them: count-up does not wobble
SUPERSAMPLE = 4

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
    from smartvideo.formatting import format_number

    return format_number(value, layer.number_format, layer.locale, layer.currency)


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


# --- charts ------------------------------------------------------------------------------------


def _chart_image(layer: PlannedLayer, style: TextStyle, w: int, h: int) -> Image.Image:
    out = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    items = layer.chart_items
    if not items:
        return out
    if layer.chart_kind == "donut":
        _donut(out, items, style)
    elif layer.chart_kind in ("bars", None):
        _bars(out, items, style)
    else:
        raise RenderError(f"unknown chart kind {layer.chart_kind!r}")
    return out


def _value(item: ChartItem) -> float:
    """The item's value, with NaN and infinities read as 0 so a bad number never crashes."""
    try:
        v = float(item.value)
    except (TypeError, ValueError):
        return 0.0
    return v if math.isfinite(v) else 0.0


def _item_color(item: ChartItem, index: int) -> tuple[int, int, int, int]:
    return rgba(item.color) if item.color else rgba(CHART_PALETTE[index % len(CHART_PALETTE)])


def _chart_style(style: TextStyle, max_size: float) -> TextStyle:
    top = max(1, int(max_size))
    return replace(style, max_size=top, min_size=min(style.min_size, top), align="left",
                   valign="top", background=None, shadow=False)


def _shared_size(texts: list[str], style: TextStyle, w: int, h: int, max_size: float) -> int:
    """The largest size at which every text fits w x h."""
    capped = _chart_style(style, max_size)
    return min((fit_text(t, capped, w, h).size for t in texts if t), default=capped.max_size)


def _common_fit(texts: list[str], style: TextStyle, w: int, h: int,
                size: int) -> list[FittedText]:
    """Every text laid out at exactly one size (ellipsis where it still does not fit)."""
    pinned = replace(_chart_style(style, size), min_size=max(1, int(size)))
    return [fit_text(t, pinned, w, h) for t in texts]


def _text_at(canvas: Image.Image, fitted: FittedText, color: tuple[int, int, int, int],
             box: tuple[int, int, int, int], align: str = "left", valign: str = "middle") -> None:
    """Draw fitted text into canvas inside box with the given alignment."""
    if not fitted.lines:
        return
    bx, by, bw, bh = box
    mask = Image.new("L", (max(1, bw), max(1, bh)), 0)
    _draw_block(mask, fitted, (0, 0, bw, bh), align, valign)
    canvas.alpha_composite(_paint(mask, color), (bx, by))


def _pill(canvas: Image.Image, box: tuple[int, int, int, int],
          color: tuple[int, int, int, int]) -> None:
    x, y, w, h = box
    if w <= 0 or h <= 0:
        return
    canvas.alpha_composite(_paint(_rounded_mask(w, h, h / 2), color), (x, y))


def _bars(out: Image.Image, items: tuple[ChartItem, ...], style: TextStyle) -> None:
    """Horizontal bars; label left of the bar, or above it when the box is narrow."""
    w, h = out.size
    n = len(items)
    pitch = h / n
    text_color = rgba(style.color)
    values = [_value(it) for it in items]
    peak = max((v for v in values if v > 0), default=0.0)
    stacked = w / pitch < 3.0  # tall rows in a narrow box: label above the bar reads better
    labels = [it.label for it in items]
    texts = [it.value_text for it in items]
    if stacked:
        top = min(style.max_size, pitch * 0.32)
        label_box, value_box = (w, round(pitch * 0.4)), (round(w * 0.4), round(pitch * 0.4))
    else:
        top = min(style.max_size, pitch * 0.42)
        row = round(pitch * 0.9)
        label_box, value_box = (round(w * 0.32), row), (round(w * 0.25), row)
    # One size for every label and value in the chart: the smallest any of them needs.
    size = min(_shared_size(labels, style, *label_box, top),
               _shared_size(texts, style, *value_box, top))
    label_fit = _common_fit(labels, style, *label_box, size)
    value_fit = _common_fit(texts, style, *value_box, size)
    gap = max(6, round(size * 0.5))
    value_w = max(f.width for f in value_fit)
    label_w = 0 if stacked else max(f.width for f in label_fit)
    bar_x = 0 if stacked else label_w + gap * 2
    full = max(1, w - bar_x - gap - value_w)
    # Slim enough that small values still read as bars, not dots, in narrow boxes.
    thick = max(2, round(min(pitch * (0.3 if stacked else 0.62), size * 1.25, full * 0.12)))
    for i, (item, value) in enumerate(zip(items, values, strict=True)):
        row_top = round(i * pitch)
        row_h = round((i + 1) * pitch) - row_top
        lf, vf = label_fit[i], value_fit[i]
        if stacked:
            content = lf.height + gap // 2 + max(thick, vf.height)
            y0 = row_top + (row_h - content) // 2
            _text_at(out, lf, _soft(text_color), (0, y0, w, lf.height), valign="top")
            mid = y0 + lf.height + gap // 2 + max(thick, vf.height) // 2
        else:
            mid = row_top + row_h // 2
            _text_at(out, lf, _soft(text_color), (0, row_top, label_w, row_h))
        if value > 0 and peak > 0:
            # Exactly proportional (no minimum length beyond visibility): the chart must not lie.
            length, color = max(2, round(full * value / peak)), _item_color(item, i)
        elif value < 0:
            length, color = max(round(thick * 1.5), round(full * 0.06)), _muted(text_color)
        else:
            length, color = 0, text_color
        length = min(length, full)
        _pill(out, (bar_x, mid - thick // 2, length, thick), color)
        vx = bar_x + length + (gap if length else 0)
        _text_at(out, vf, text_color, (vx, mid - row_h // 2, value_w + 1, row_h))


def _soft(color: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """Secondary text (labels) a little lighter than values, for hierarchy."""
    r, g, b, a = color
    return (r, g, b, round(a * 0.85))


def _donut(out: Image.Image, items: tuple[ChartItem, ...], style: TextStyle) -> None:
    """Donut ring on one side, legend on the other (below it in portrait boxes)."""
    w, h = out.size
    portrait = h > w
    if portrait:
        d = round(min(w * 0.8, h * 0.55))
        ring_xy = ((w - d) // 2, 0)
        legend = (0, d + max(8, round(d * 0.08)), w, h - d - max(8, round(d * 0.08)))
    else:
        d = round(min(h, w * 0.45))
        ring_xy = (0, (h - d) // 2)
        lx = d + max(12, round(d * 0.14))
        legend = (lx, 0, w - lx, h)
    values = [_value(it) for it in items]
    colors = [_item_color(it, i) for i, it in enumerate(items)]
    if d > 4:
        ring = _ring(d, values, colors)
        if ring is not None:
            out.alpha_composite(ring, ring_xy)
    _legend(out, items, colors, values, style, legend, centre=portrait)


def _ring(
    d: int, values: list[float], colors: list[tuple[int, int, int, int]]
) -> Image.Image | None:
    positive = [(v, c) for v, c in zip(values, colors, strict=True) if v > 0]
    total = sum(v for v, _ in positive)
    if total <= 0:
        return None
    scale = max(2, min(SUPERSAMPLE, 2048 // d))
    big = d * scale
    thickness = d * 0.2 * scale
    gap = max(2.0, d * 0.018) * scale
    color_img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(color_img)
    angle = -90.0  # start at 12 o'clock, go clockwise
    bounds = []
    for v, c in positive:
        sweep = 360.0 * v / total
        draw.pieslice((0, 0, big - 1, big - 1), angle, angle + sweep, fill=c)
        bounds.append(angle)
        angle += sweep
    mask = Image.new("L", (big, big), 0)
    mdraw = ImageDraw.Draw(mask)
    mdraw.ellipse((0, 0, big - 1, big - 1), fill=255)
    mdraw.ellipse((thickness, thickness, big - 1 - thickness, big - 1 - thickness), fill=0)
    if len(positive) > 1:
        mid = (big - 1) / 2
        for a in bounds:
            rad = math.radians(a)
            reach = mid * 1.05  # past the outer edge so the gap cuts clean through the ring
            mdraw.line((mid, mid, mid + reach * math.cos(rad), mid + reach * math.sin(rad)),
                       fill=0, width=round(gap))
    alpha = ImageChops.multiply(mask, color_img.getchannel("A"))
    color_img.putalpha(alpha)
    return color_img.resize((d, d), Image.Resampling.LANCZOS)


def _legend(out: Image.Image, items: tuple[ChartItem, ...], colors: list[tuple[int, int, int, int]],
            values: list[float], style: TextStyle, box: tuple[int, int, int, int],
            centre: bool) -> None:
    lx, ly, lw, lh = box
    n = len(items)
    if lw <= 4 or lh <= 4:
        return
    pitch = min(lh / n, style.max_size * 2.0)
    top = min(style.max_size, pitch * 0.45)
    dot_room = round(top * 1.3)
    labels = [it.label for it in items]
    texts = [it.value_text for it in items]
    label_box = (max(1, round((lw - dot_room) * 0.62)), round(pitch * 0.9))
    value_box = (max(1, round((lw - dot_room) * 0.34)), round(pitch * 0.9))
    size = min(_shared_size(labels, style, *label_box, top),
               _shared_size(texts, style, *value_box, top))
    label_fit = _common_fit(labels, style, *label_box, size)
    value_fit = _common_fit(texts, style, *value_box, size)
    dot = max(4, round(size * 0.62))
    gap = max(6, round(size * 0.6))
    label_w = max(f.width for f in label_fit)
    value_w = max(f.width for f in value_fit)
    content_w = min(lw, dot + gap + label_w + gap * 2 + value_w)
    x0 = lx + ((lw - content_w) // 2 if centre else 0)
    block_h = round(pitch * n)
    y0 = ly + (0 if centre else (lh - block_h) // 2)
    text_color = rgba(style.color)
    for i in range(n):
        row_top = y0 + round(i * pitch)
        row_h = y0 + round((i + 1) * pitch) - row_top
        mid = row_top + row_h // 2
        dot_color = colors[i] if values[i] > 0 else _muted(text_color)
        dot_mask = _ss_mask((dot, dot), lambda dr, s: dr.ellipse((0, 0, dot * s - 1, dot * s - 1),
                                                                 fill=255))
        out.alpha_composite(_paint(dot_mask, dot_color), (x0, mid - dot // 2))
        tx = x0 + dot + gap
        _text_at(out, label_fit[i], _soft(text_color), (tx, row_top, label_w, row_h))
        vx = x0 + content_w - value_w
        _text_at(out, value_fit[i], text_color, (vx, row_top, value_w, row_h), align="right")
