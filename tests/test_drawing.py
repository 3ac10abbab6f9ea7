"""Overlay drawing: text fitting, fallback fonts, count-up, charts, pictures, determinism."""

from __future__ import annotations

import hashlib
import math
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from smartvideo.render.drawing import draw_layer, fit_text, fonts, layers, text_fit
from smartvideo.render.plan import ChartItem, PlannedLayer, TextStyle

FONTS = Path(__file__).resolve().parents[1] / "assets" / "fonts"
LATO = str(FONTS / "Lato-Bold.ttf")
DEJAVU = str(FONTS / "DejaVuSans-Bold.ttf")
LONG_DUTCH = "Wolfeschlegelsteinhausenbergerdorff"


@pytest.fixture
def style() -> TextStyle:
    return TextStyle(font=LATO, fallback_fonts=(DEJAVU,), color="#ffffff", max_size=96, min_size=24)


def layer(kind: str = "text", box=(10, 20, 600, 200), **kw) -> PlannedLayer:
    kw.setdefault("style", TextStyle(font=LATO, fallback_fonts=(DEJAVU,), color="#ffffff",
                                     max_size=96, min_size=24))
    return PlannedLayer(kind=kind, box=box, start=0.0, end=None, **kw)


def png_bytes(img: Image.Image) -> bytes:
    from io import BytesIO

    buf = BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def ink_bbox(fitted, box_w: int, box_h: int, align: str, valign: str, margin: int = 200):
    """Ink of fitted text drawn in a box inside a much larger canvas (nothing gets clipped)."""
    mask = Image.new("L", (box_w + 2 * margin, box_h + 2 * margin), 0)
    layers._draw_block(mask, fitted, (margin, margin, box_w, box_h), align, valign)
    bbox = mask.getbbox()
    if bbox is None:
        return None
    left, top, right, bottom = bbox
    return left - margin, top - margin, right - margin, bottom - margin


# --- text fitting ------------------------------------------------------------------------------

NAMES = [
    "Jan",
    "Łukasz Brzęczyszczykiewicz",
    f"Anne-Marie van den {LONG_DUTCH}",
    LONG_DUTCH * 2,
    "Hubert Blaine Wolfeschlegelsteinhausenbergerdorff Sr. and the whole family of Ωmega ₿ Ğ",
    "Zoë Ærøskøbing-Ğündoğdu Жанна Ωmega " * 6,
]


ALIGNS = [("left", "top"), ("center", "middle"), ("right", "bottom")]


@pytest.mark.parametrize("text", NAMES)
@pytest.mark.parametrize("box", [(900, 300), (420, 140), (200, 60), (120, 400), (60, 30)])
@pytest.mark.parametrize("align,valign", ALIGNS)
def test_text_never_leaves_its_box(style, text, box, align, valign):
    w, h = box
    s = replace(style, align=align, valign=valign)
    fitted = fit_text(text, s, w, h)
    assert fitted.width <= w and fitted.height <= h
    bbox = ink_bbox(fitted, w, h, align, valign)
    if bbox is not None:
        left, top, right, bottom = bbox
        assert left >= 0 and top >= 0 and right <= w and bottom <= h, (bbox, fitted)
    img, pos = draw_layer(layer(box=(5, 7, w, h), text=text, style=s))
    assert img.size == (w, h) and pos == (5, 7)


def test_takes_the_largest_size_that_fits(style):
    fitted = fit_text("Hi Jan", style, 900, 300)
    assert fitted.size == style.max_size and fitted.lines == ("Hi Jan",)
    small = fit_text("Hello Jan, your year in numbers", style, 500, 200)
    assert style.min_size < small.size < style.max_size
    # One size more does not fit without breaking a word or cutting: search found the top.
    one_up = small.size + 1
    bigger = fit_text("Hello Jan, your year in numbers",
                      replace(style, min_size=one_up, max_size=one_up), 500, 200)
    assert bigger.truncated or any(line.endswith("-") for line in bigger.lines)


def test_shrinks_before_ellipsis(style):
    text = "Thank you for being a loyal customer for ten whole years"
    fitted = fit_text(text, style, 500, 160)
    assert not fitted.truncated
    assert fitted.size < style.max_size
    assert " ".join(fitted.lines) == text


def test_ellipsis_only_at_min_size(style):
    text = "word " * 200
    fitted = fit_text(text, style, 400, 120)
    assert fitted.truncated
    assert fitted.size == style.min_size
    assert fitted.lines[-1].endswith(text_fit.ELLIPSIS)
    assert fitted.height <= 120 and fitted.width <= 400


def test_wraps_before_breaking_words(style):
    fitted = fit_text(f"Dear {LONG_DUTCH}", style, 700, 300)
    assert LONG_DUTCH in fitted.lines  # shrunk so the name stays whole
    narrow = fit_text(LONG_DUTCH, replace(style, min_size=40), 300, 400)
    assert len(narrow.lines) > 1 and narrow.lines[0].endswith("-")
    assert "".join(line.rstrip("-") for line in narrow.lines) == LONG_DUTCH
    assert not narrow.truncated


def test_breaks_at_own_hyphen(style):
    fitted = fit_text("Jean-Pierre-Marie-Christophe", replace(style, min_size=60), 420, 600)
    assert fitted.lines[0].endswith("-")
    assert "".join(fitted.lines) == "Jean-Pierre-Marie-Christophe"


def test_uppercase(style):
    fitted = fit_text("straße łódź", replace(style, uppercase=True), 900, 200)
    assert fitted.lines == ("STRASSE ŁÓDŹ",)


def test_box_shorter_than_one_line_still_fits(style):
    fitted = fit_text("Hello", style, 400, 12)
    assert fitted.height <= 12
    assert fitted.size < style.min_size


def test_empty_text(style):
    fitted = fit_text("   ", style, 400, 100)
    assert fitted.lines == ()
    img, _ = draw_layer(layer(text=""))
    assert img.getbbox() is None


# --- fallback fonts ----------------------------------------------------------------------------


@pytest.mark.parametrize("ch", ["Ω", "Ж", "Ğ"])
def test_glyph_missing_from_lato_uses_fallback(style, ch):
    assert ord(ch) not in fonts.coverage(LATO)
    runs = fonts.split_runs(fonts.prepare(f"A{ch}b", fonts.chain(style)), fonts.chain(style))
    assert runs == (("A", LATO), (ch, DEJAVU), ("b", LATO))

    img, _ = draw_layer(layer(box=(0, 0, 200, 120), text=ch, style=replace(style, max_size=80)))
    ours = img.getchannel("A")
    assert ours.getbbox() is not None

    # What Lato alone draws: its .notdef box (tofu).
    tofu = Image.new("L", img.size, 0)
    fitted = fit_text(ch, replace(style, max_size=80), 200, 120)
    ImageDraw.Draw(tofu).text((0, fitted.ascent), ch, font=fonts.load_font(LATO, fitted.size),
                              fill=255, anchor="ls")
    assert tofu.getbbox() is not None
    assert ours.tobytes() != tofu.tobytes()
    # The fallback glyph is the DejaVu glyph.
    dejavu = Image.new("L", img.size, 0)
    ImageDraw.Draw(dejavu).text((0, fitted.ascent), ch, font=fonts.load_font(DEJAVU, fitted.size),
                                fill=255, anchor="ls")
    assert ours.getbbox()[2] - ours.getbbox()[0] == dejavu.getbbox()[2] - dejavu.getbbox()[0]


def test_character_no_font_has_is_never_tofu(style):
    paths = fonts.chain(style)
    prepared = fonts.prepare("₿ 5 \u0378x", paths)  # U+0378 is unassigned
    assert all(any(ord(c) in fonts.coverage(p) for p in paths) for c in prepared)
    assert "5" in prepared and "x" in prepared


# --- numbers and count-up ----------------------------------------------------------------------


def test_count_up_keeps_one_font_size(style, monkeypatch):
    monkeypatch.setattr(layers, "_format", lambda v, _layer: f"€{v:,.2f}")
    sizes: list[int] = []
    real = fonts.draw_line

    def spy(draw, xy, text, paths, size, fill, feats=()):
        sizes.append(size)
        real(draw, xy, text, paths, size, fill, feats)

    monkeypatch.setattr(fonts, "draw_line", spy)
    num = layer("number", box=(0, 0, 700, 200), text="€12,345.67", number=12345.67,
                style=replace(style, max_size=200))
    images = [draw_layer(num, number_value=v) for v in (0, 1.5, 88, 999.99, 4321.0, 12345.67)]
    assert len(set(sizes)) == 1
    assert len({(img.size, pos) for img, pos in images}) == 1
    # Drawing the final value equals drawing the static layer.
    assert png_bytes(images[-1][0]) == png_bytes(draw_layer(num)[0])


def test_count_up_with_real_formatting(style):
    formatting = pytest.importorskip("smartvideo.render.formatting")
    final = formatting.format_number(2500.0, "money", "nl", "EUR")
    num = layer("number", box=(0, 0, 600, 160), text=final, number=2500.0, number_format="money",
                locale="nl", currency="EUR", style=replace(style, shadow=True))
    placed = [draw_layer(num, number_value=v) for v in (0.0, 12.5, 1250.0, 2500.0)]
    assert len({(img.size, pos) for img, pos in placed}) == 1
    assert png_bytes(placed[-1][0]) == png_bytes(draw_layer(num)[0])


# --- text decorations ---------------------------------------------------------------------------


def test_shadow_extends_image_and_moves_position(style):
    plain, pos = draw_layer(layer(text="Hello", style=style))
    shadowed, spos = draw_layer(layer(text="Hello", style=replace(style, shadow=True)))
    m = spos[0] - pos[0]
    assert m < 0 and spos[1] - pos[1] == m
    assert shadowed.size == (plain.width - 2 * m, plain.height - 2 * m)


def test_background_card_stays_in_box(style):
    img, pos = draw_layer(layer(box=(0, 0, 500, 120), text=f"Hi {LONG_DUTCH}",
                                style=replace(style, background="#ff5a36")))
    assert pos == (0, 0) and img.size == (500, 120)
    assert img.getpixel((250, 60))[3] == 255  # the card is opaque behind the text


def test_cta_pill(style):
    img, (x, y) = draw_layer(layer("cta", box=(100, 100, 600, 140), text="See my plan",
                                   style=replace(style, color="#ffffff")))
    m = 100 - x
    assert m > 0 and y == 100 - m
    centre = img.getpixel((m + 300, m + 5))
    assert centre[:3] == layers.rgba(layers.DEFAULT_CTA_COLOR)[:3] and centre[3] == 255
    assert img.getpixel((m, m))[3] < 255  # rounded, not a rectangle


# --- charts ------------------------------------------------------------------------------------


def bar_lengths(img: Image.Image, colors: list[tuple[int, int, int]]) -> list[int]:
    """Widest horizontal run of each exact colour (the bar body, without its soft ends)."""
    px = img.load()
    out = []
    for c in colors:
        best = 0
        for y in range(0, img.height, 2):
            row = [x for x in range(img.width) if px[x, y][:3] == c and px[x, y][3] > 200]
            if row:
                best = max(best, row[-1] - row[0] + 1)
        out.append(best)
    return out


@pytest.mark.parametrize("box", [(900, 420), (420, 1200)])
def test_bars_proportional(style, box):
    colors = [(255, 0, 0), (0, 200, 0), (0, 0, 255)]
    items = tuple(ChartItem(f"Item {i}", v, f"€{v:.0f}", "#{:02x}{:02x}{:02x}".format(*c))
                  for i, (v, c) in enumerate(zip((400, 200, 100), colors, strict=True)))
    img, _ = draw_layer(layer("chart", box=(0, 0, *box), chart_kind="bars", chart_items=items))
    a, b, c = bar_lengths(img, colors)
    assert a > 0
    assert abs(b / a - 0.5) < 0.03 and abs(c / a - 0.25) < 0.03


def test_bars_negative_zero_and_nan_do_not_crash(style):
    items = (ChartItem("Bill", 120, "€120", "#4f8cff"), ChartItem("Credit", -30, "−€30", "#ff0000"),
             ChartItem("Free", 0, "€0", "#00ff00"), ChartItem("Odd", math.nan, "?", "#0000ff"))
    img, _ = draw_layer(layer("chart", box=(0, 0, 800, 400), chart_kind="bars", chart_items=items))
    assert img.getbbox() is not None
    red, green, blue = bar_lengths(img, [(255, 0, 0), (0, 255, 0), (0, 0, 255)])
    assert red == green == blue == 0  # credit is muted, zero and NaN draw no bar
    all_neg = (ChartItem("A", -1, "-1", "#ff0000"), ChartItem("B", 0, "0", "#00ff00"))
    draw_layer(layer("chart", box=(0, 0, 800, 400), chart_kind="bars", chart_items=all_neg))


@pytest.mark.parametrize("kind", ["bars", "donut"])
def test_empty_chart_is_blank(style, kind):
    img, pos = draw_layer(layer("chart", box=(3, 4, 500, 300), chart_kind=kind))
    assert img.size == (500, 300) and pos == (3, 4) and img.getbbox() is None


def pixels(img):
    """Every RGBA pixel, as tuples (Image.getdata is deprecated in Pillow 12)."""
    raw = img.convert("RGBA").tobytes()
    return [tuple(raw[i:i + 4]) for i in range(0, len(raw), 4)]


@pytest.mark.parametrize("box", [(900, 400), (500, 900)])
def test_donut_single_item(style, box):
    items = (ChartItem("All of it", 42, "100%", "#ff0000"),)
    img, _ = draw_layer(layer("chart", box=(0, 0, *box), chart_kind="donut", chart_items=items))
    red = sum(1 for p in pixels(img) if p[:3] == (255, 0, 0) and p[3] == 255)
    assert red > 1000
    w, h = box
    d = round(min(h, w * 0.45)) if w >= h else round(min(w * 0.8, h * 0.55))
    cx, cy = ((d // 2, h // 2) if w >= h else (w // 2, d // 2))
    assert img.getpixel((cx, cy))[3] == 0  # a donut, not a pie


def test_donut_segments_and_zero_total(style):
    items = (ChartItem("A", 3, "60%", "#ff0000"), ChartItem("B", 2, "40%", "#0000ff"),
             ChartItem("C", -1, "-", "#00ff00"))
    img, _ = draw_layer(layer("chart", box=(0, 0, 900, 400), chart_kind="donut", chart_items=items))
    data = pixels(img)
    red = sum(1 for p in data if p[:3] == (255, 0, 0) and p[3] == 255)
    blue = sum(1 for p in data if p[:3] == (0, 0, 255) and p[3] == 255)
    assert 1.3 < red / blue < 1.7
    zero = (ChartItem("A", 0, "0", "#ff0000"),)
    draw_layer(layer("chart", box=(0, 0, 900, 400), chart_kind="donut", chart_items=zero))


# --- pictures ----------------------------------------------------------------------------------


def test_picture_contained_and_rounded(tmp_path, style):
    opaque = tmp_path / "photo.jpg"
    Image.new("RGB", (400, 200), (200, 50, 50)).save(opaque)
    img, pos = draw_layer(layer("image", box=(10, 10, 300, 300), image=str(opaque)))
    assert img.size == (300, 300) and pos == (10, 10)
    assert img.getbbox() == (0, 75, 300, 225)  # 2:1 contained, centred
    assert img.getpixel((0, 75))[3] < 128  # rounded corner
    assert img.getpixel((150, 150))[3] == 255

    logo = tmp_path / "logo.png"
    src = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    ImageDraw.Draw(src).rectangle((0, 0, 99, 99), fill=(0, 0, 255, 255))
    src.save(logo)
    img, _ = draw_layer(layer("logo", box=(0, 0, 200, 100), image=str(logo)))
    assert img.getbbox() == (50, 0, 150, 100)
    assert img.getpixel((50, 0))[3] == 255  # images with alpha keep their own corners


def test_missing_picture_is_a_render_error(style):
    from smartvideo.errors import RenderError

    with pytest.raises(RenderError):
        draw_layer(layer("image", image="/nonexistent/x.png"))


# --- determinism -------------------------------------------------------------------------------


def _all_layers(tmp_path: Path) -> list[PlannedLayer]:
    pic = tmp_path / "p.png"
    Image.new("RGB", (64, 48), (10, 120, 200)).save(pic)
    s = TextStyle(font=LATO, fallback_fonts=(DEJAVU,), color="#ffffffee", max_size=80, min_size=20)
    items = (ChartItem("Ωmega", 5, "5", "#4f8cff"), ChartItem("Łódź", 3, "3", "#ffb020"))
    return [
        layer(text="Hello Łukasz Ğ Ω",
              style=replace(s, shadow=True, align="center", valign="middle")),
        layer(text="Saved", style=replace(s, background="#1f6feb")),
        layer("number", text="€1,234.50", style=s),
        layer("cta", text="Go", style=s),
        layer("image", image=str(pic)),
        layer("chart", box=(0, 0, 800, 400), chart_kind="bars", chart_items=items, style=s),
        layer("chart", box=(0, 0, 800, 400), chart_kind="donut", chart_items=items, style=s),
    ]


def test_deterministic(tmp_path):
    def digest() -> list[str]:
        text_fit._fit.cache_clear()
        fonts.load_font.cache_clear()
        fonts.measure.cache_clear()
        out = []
        for lay in _all_layers(tmp_path):
            img, pos = draw_layer(lay)
            out.append(hashlib.sha256(png_bytes(img) + repr(pos).encode()).hexdigest())
        return out

    assert digest() == digest()


def test_all_kinds_return_rgba(tmp_path):
    for lay in _all_layers(tmp_path):
        img, _ = draw_layer(lay)
        assert img.mode == "RGBA"
