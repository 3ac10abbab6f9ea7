"""Fast previews for scene authors: a still of every scene, composed without encoding video.

Each scene is shown as it looks once its layers have appeared: the background frame at that
moment (one frame read by ffmpeg), with the layers Pillow draws for the render pasted on top.
Seconds, not a render: authors see layout, fit and data at once, per device.
"""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from smartvideo.errors import RenderError
from smartvideo.ffmpeg_exec import ffmpeg_binary
from smartvideo.render.animation import (
    count_up_index,
    count_up_values,
    frame_at,
    is_on,
    layer_frames,
    opacity,
    slide_offset,
)
from smartvideo.render.drawing import draw_layer
from smartvideo.render.plan import Background, DeviceProfile, PlannedLayer, PlannedScene, RenderPlan


def background_frame(bg: Background, device: DeviceProfile, at: float) -> Image.Image:
    """The background of a scene at `at` seconds, scaled to cover the frame."""
    return _background_frame(bg, device, at).copy()


# Background files are keyed by their content hash, so a redraw after a save (preview --watch)
# reads each clip's frame once instead of starting ffmpeg for it again.
@functools.lru_cache(maxsize=64)
def _background_frame(bg: Background, device: DeviceProfile, at: float) -> Image.Image:
    size = device.size
    if bg.kind == "color":
        return Image.new("RGB", size, bg.colors[0][:7])
    if bg.kind == "gradient":
        top, bottom = Image.new("RGB", size, bg.colors[0][:7]), Image.new("RGB", size, bg.colors[-1][:7])
        mask = Image.linear_gradient("L").resize(size)
        return Image.composite(bottom, top, mask)
    assert bg.path
    cover = (f"scale={device.width}:{device.height}:force_original_aspect_ratio=increase,"
             f"crop={device.width}:{device.height}")
    args = [ffmpeg_binary(), "-v", "error"]
    if bg.kind == "video":
        args += ["-stream_loop", "-1", "-ss", f"{at:.3f}"]
    args += ["-i", bg.path, "-frames:v", "1", "-vf", cover, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    proc = subprocess.run(args, capture_output=True, check=False)
    if proc.returncode != 0 or len(proc.stdout) != device.width * device.height * 3:
        raise RenderError(f"cannot read a frame of {bg.path}: {proc.stderr.decode(errors='replace')[-200:]}")
    return Image.frombytes("RGB", size, proc.stdout)


def settled_time(scene: PlannedScene, device: DeviceProfile) -> float:
    """When every layer has appeared (and none has gone yet, where possible): the default still."""
    settle = max((layer.start + layer.animation_duration for layer in scene.layers), default=0.0)
    return min(scene.duration - 1 / device.fps, settle + 0.1)


def _placed_layer(layer: PlannedLayer, device: DeviceProfile, n: int) -> tuple[Image.Image, tuple[int, int]] | None:
    """The layer's image and position at frame n, as the encoder composes it; None when not shown."""
    frames = layer_frames(layer, device.fps)
    if not is_on(frames, n):
        return None
    if layer.animation == "count_up" and layer.number is not None:
        values = count_up_values(layer, device)
        image, (x, y) = draw_layer(layer, number_value=values[count_up_index(frames, n, device, len(values))])
    else:
        image, (x, y) = draw_layer(layer)
    alpha = opacity(layer, frames, n)
    if alpha <= 0:
        return None
    if alpha < 1:
        image = image.copy()
        image.putalpha(image.getchannel("A").point(lambda a: round(a * alpha)))
    dx, dy = slide_offset(layer, frames, n, device)
    # ffmpeg's overlay places at whole, even pixels on 4:2:0 video (it truncates, then clears bit 0).
    return image, (int(x + dx) & ~1, int(y + dy) & ~1)


def scene_still(scene: PlannedScene, device: DeviceProfile, at: float | None = None) -> Image.Image:
    """One scene at `at` seconds (default: when its last layer has fully appeared).

    The frame the video shows at that time: layer times, fades, slides and count-ups are taken at
    the same whole frame the encoder uses (smartvideo.render.animation).
    """
    n = frame_at(settled_time(scene, device) if at is None else at, device.fps)
    n = min(n, max(0, round(scene.duration * device.fps) - 1))
    frame = background_frame(scene.background, device, n / device.fps).convert("RGBA")
    for layer in scene.layers:
        placed = _placed_layer(layer, device, n)
        if placed is None:
            continue
        image, (x, y) = placed
        layer_frame = Image.new("RGBA", frame.size, (0, 0, 0, 0))
        layer_frame.paste(image, (x, y))
        frame.alpha_composite(layer_frame)
    return frame.convert("RGB")


def contact_sheet(plan: RenderPlan, columns: int = 3, width: int = 1800) -> Image.Image:
    """Every scene of a plan side by side, scaled to fit `width`."""
    stills = [scene_still(scene, plan.device) for scene in plan.scenes]
    columns = max(1, min(columns, len(stills)))
    rows = (len(stills) + columns - 1) // columns
    gap = 12
    cell_w = (width - gap * (columns + 1)) // columns
    cell_h = round(cell_w * plan.device.height / plan.device.width)
    label_h = max(14, cell_w // 22)
    row_h = cell_h + label_h + 4
    sheet = Image.new("RGB", (width, rows * row_h + gap * (rows + 1)), "#1b1f27")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=label_h - 2)
    for n, (scene, still) in enumerate(zip(plan.scenes, stills, strict=True)):
        x = gap + (n % columns) * (cell_w + gap)
        y = gap + (n // columns) * (row_h + gap)
        sheet.paste(still.resize((cell_w, cell_h), Image.Resampling.LANCZOS), (x, y))
        draw.text((x, y + cell_h + 3), tile_label(scene, plan.variant), fill="#e8ecf4", font=font)
    return sheet


def tile_label(scene: PlannedScene, variant: str) -> str:
    """What a contact-sheet tile says under its still: scene id, duration and variant."""
    return f"{scene.index + 1}. {scene.id}  ·  {scene.duration:.1f} s  ·  variant {variant}"


def write_preview(plan: RenderPlan, out: Path, scene_id: str | None = None, at: float | None = None) -> Path:
    """A PNG of one scene (scene_id) or a contact sheet of all."""
    if scene_id:
        scene = next((s for s in plan.scenes if s.id == scene_id), None)
        if scene is None:
            shown = ", ".join(s.id for s in plan.scenes)
            raise RenderError(f"scene '{scene_id}' is not in this video (scenes: {shown})")
        image = scene_still(scene, plan.device, at)
    else:
        image = contact_sheet(plan)
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out)
    return out
