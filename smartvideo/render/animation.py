"""When a layer shows and how far it has animated, in whole frames: shared by encoder and preview.

A layer's `from`, `to` and animation times are snapped to the frame grid once, here. The encoder
writes its ffmpeg expressions from these frame numbers and the preview computes the same values
in Python, so a preview still equals the video frame at that time, also for times that fall
between frames (0.7 s at 25 fps is frame 17.5: the layer appears on frame 18).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from smartvideo.render.plan import DeviceProfile, PlannedLayer

SLIDE_DISTANCE = 0.06  # of the frame's shorter side
FADE_OUT = 0.3  # seconds a layer with `to` takes to fade away
COUNT_UP_FPS_CAP = 25  # frames drawn for a count-up, at most this many per second
_EPS = 1e-6


@dataclass(frozen=True, slots=True)
class LayerFrames:
    """A layer's times as frame numbers of its scene (frame n shows time n / fps)."""

    first: int  # the first frame the layer is on
    last: int | None  # the last frame it is on; None: to the end of the scene
    ramp: int  # frames the appearing animation takes (at least 1)
    fade_out_first: int | None  # the frame its fade-out starts (animated layers with `to`)
    fade_out_frames: int


def frame_at(seconds: float, fps: int) -> int:
    """The frame a player shows at `seconds`: the last one that started by then."""
    return max(0, math.floor(seconds * fps + _EPS))


def layer_frames(layer: PlannedLayer, fps: int) -> LayerFrames:
    first = max(0, math.ceil(layer.start * fps - _EPS))
    last = None if layer.end is None else max(first, math.floor(layer.end * fps + _EPS))
    ramp = max(1, round(layer.animation_duration * fps))
    fade_out_frames = max(1, round(FADE_OUT * fps))
    fade_out_first = None
    if last is not None and layer.animation != "none":
        fade_out_first = max(first, last - fade_out_frames)
    return LayerFrames(first, last, ramp, fade_out_first, fade_out_frames)


def is_on(frames: LayerFrames, n: int) -> bool:
    return frames.first <= n and (frames.last is None or n <= frames.last)


def opacity(layer: PlannedLayer, frames: LayerFrames, n: int) -> float:
    """0..1 at frame n: animated layers (except count-up) fade in over `ramp` frames and out before `to`."""
    if not is_on(frames, n):
        return 0.0
    if layer.animation in ("none", "count_up"):
        return 1.0
    level = min(1.0, (n - frames.first) / frames.ramp)
    if frames.fade_out_first is not None and n >= frames.fade_out_first:
        level *= max(0.0, 1 - (n - frames.fade_out_first) / frames.fade_out_frames)
    return max(0.0, level)


def slide_distance(device: DeviceProfile) -> int:
    return round(SLIDE_DISTANCE * min(device.width, device.height))


def slide_offset(layer: PlannedLayer, frames: LayerFrames, n: int, device: DeviceProfile) -> tuple[float, float]:
    """How far (dx, dy) a sliding layer still is from its place at frame n: ease-out cubic."""
    if layer.animation not in ("slide_up", "slide_left"):
        return (0.0, 0.0)
    progress = min(1.0, max(0.0, (n - frames.first) / frames.ramp))
    away = slide_distance(device) * (1 - progress) ** 3
    return (away, 0.0) if layer.animation == "slide_left" else (0.0, away)


def count_up_rate(device: DeviceProfile) -> int:
    return min(device.fps, COUNT_UP_FPS_CAP)


def count_up_values(layer: PlannedLayer, device: DeviceProfile) -> list[float]:
    """The number drawn on each count-up image, ending exactly on the layer's value."""
    assert layer.number is not None
    count = max(2, round(layer.animation_duration * count_up_rate(device)))
    values = []
    for i in range(count):
        eased = 1 - (1 - i / (count - 1)) ** 3
        value = layer.number * eased
        if layer.number_format in ("integer", None) and abs(layer.number) >= 1:
            value = round(value)
        values.append(value if i < count - 1 else layer.number)
    return values


def count_up_index(frames: LayerFrames, n: int, device: DeviceProfile, count: int) -> int:
    """Which count-up image frame n shows: images start on the layer's first frame."""
    rate = count_up_rate(device)
    return min(count - 1, max(0, math.floor((n - frames.first) * rate / device.fps + _EPS)))
