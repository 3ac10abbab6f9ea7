"""Bar and donut charts of bill lines (or any labelled values), drawn with Pillow."""

from __future__ import annotations

import math
from dataclasses import replace

from PIL import Image, ImageChops, ImageDraw

from smartvideo.errors import RenderError
from smartvideo.render.drawing.paint import SUPERSAMPLE, _draw_block, _muted, _paint, _rounded_mask, _ss_mask, rgba
from smartvideo.render.drawing.text_fit import FittedText, fit_text
from smartvideo.render.plan import ChartItem, PlannedLayer, TextStyle

CHART_PALETTE = ("#4f8cff", "#ffb020", "#2ec4a6", "#ff5a7a", "#9b6bff", "#7fd35a")


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
