"""Fast previews for scene authors: a still of every scene, composed without encoding video.

Each scene is shown as it looks once its layers have appeared: the background frame at that
moment (one frame read by ffmpeg), with the layers Pillow draws for the render pasted on top.
Seconds, not a render: authors see layout, fit and data at once, per device.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image

from smartvideo.errors import RenderError
from smartvideo.ffmpeg_exec import ffmpeg_binary
from smartvideo.render.drawing import draw_layer
from smartvideo.render.plan import Background, DeviceProfile, PlannedScene, RenderPlan


def background_frame(bg: Background, device: DeviceProfile, at: float) -> Image.Image:
    """The background of a scene at `at` seconds, scaled to cover the frame."""
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


def scene_still(scene: PlannedScene, device: DeviceProfile, at: float | None = None) -> Image.Image:
    """One scene at `at` seconds (default: when its last layer has fully appeared)."""
    if at is None:
        settle = max((layer.start + layer.animation_duration for layer in scene.layers), default=0.0)
        at = min(scene.duration - 1 / device.fps, settle + 0.1)
    frame = background_frame(scene.background, device, at).convert("RGBA")
    for layer in scene.layers:
        visible = layer.start <= at and (layer.end is None or at < layer.end)
        if visible:
            image, position = draw_layer(layer)
            frame.alpha_composite(image, dest=position) if position[0] >= 0 and position[1] >= 0 else \
                frame.paste(image, position, image)
    return frame.convert("RGB")


def contact_sheet(plan: RenderPlan, columns: int = 3, width: int = 1800) -> Image.Image:
    """Every scene of a plan side by side, scaled to fit `width`."""
    stills = [scene_still(scene, plan.device) for scene in plan.scenes]
    columns = max(1, min(columns, len(stills)))
    rows = (len(stills) + columns - 1) // columns
    gap = 12
    cell_w = (width - gap * (columns + 1)) // columns
    cell_h = round(cell_w * plan.device.height / plan.device.width)
    sheet = Image.new("RGB", (width, rows * cell_h + gap * (rows + 1)), "#1b1f27")
    for n, still in enumerate(stills):
        x = gap + (n % columns) * (cell_w + gap)
        y = gap + (n // columns) * (cell_h + gap)
        sheet.paste(still.resize((cell_w, cell_h), Image.Resampling.LANCZOS), (x, y))
    return sheet


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
