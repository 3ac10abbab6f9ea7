"""Layers reach the filter graph trimmed to where they have pixels: the same picture, less to blend."""

from __future__ import annotations

from PIL import Image, ImageDraw

from smartvideo.render.scene_encoder import TRIM_MARGIN, TRIM_STEP, trimmed


def _layer(size: tuple[int, int], boxes: list[tuple[int, int, int, int]]) -> Image.Image:
    image = Image.new("RGBA", size, (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    for n, box in enumerate(boxes):
        draw.rectangle(box, fill=(200, 40 * n, 90, 128 + 60 * n))
    return image


def _on_frame(image: Image.Image, x: int, y: int) -> bytes:
    frame = Image.new("RGBA", (400, 300), (10, 90, 160, 255))
    frame.alpha_composite(image, (x, y))
    return frame.tobytes()


def test_a_trimmed_layer_puts_the_same_pixels_in_the_same_places():
    layer = _layer((300, 120), [(101, 37, 180, 61)])
    (cut,), x, y = trimmed([layer], 21, 33)
    assert cut.width < layer.width and cut.height < layer.height
    assert _on_frame(cut, x, y) == _on_frame(layer, 21, 33)
    # starts on the colour conversion's grid, with transparent pixels kept around what shows
    assert (x - 21) % TRIM_STEP == 0 and (y - 33) % TRIM_STEP == 0
    assert x - 21 <= 101 - TRIM_MARGIN and y - 33 <= 37 - TRIM_MARGIN
    assert x - 21 + cut.width >= 181 + TRIM_MARGIN and y - 33 + cut.height >= 62 + TRIM_MARGIN


def test_a_count_up_is_cut_to_what_any_of_its_images_shows_and_keeps_one_size():
    images = [_layer((300, 120), [(40, 50, 60, 70)]), _layer((300, 120), [(150, 20, 260, 90)])]
    cut, x, y = trimmed(images, 0, 0)
    assert {image.size for image in cut} == {cut[0].size} and cut[0].width < 300
    for original, small in zip(images, cut, strict=True):
        assert _on_frame(small, x, y) == _on_frame(original, 0, 0)


def test_a_layer_that_fills_its_box_or_shows_nothing_is_left_as_it_is():
    full = _layer((64, 32), [(0, 0, 63, 31)])
    empty = _layer((64, 32), [])
    assert trimmed([full], 5, 6) == ([full], 5, 6)
    assert trimmed([empty], 5, 6) == ([empty], 5, 6)
