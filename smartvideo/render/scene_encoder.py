"""Encode one planned scene to a video segment: one filter graph, run as one or more ffmpeg processes.

Pillow draws each layer once to a PNG; the graph overlays those images (each decoded once, not
per frame) on the background, with fades and slides as overlay expressions. Every segment has
the same codec settings, so segments join later by stream copy.

A long scene is cut into pieces at keyframe boundaries (whole GOPs) and the pieces are encoded
side by side, one single-threaded ffmpeg each, then joined by stream copy: on 2 cores two
single-threaded x264 processes do the same frames in less CPU time than one two-threaded one, the
filter graph (plate decode, overlays) runs in parallel too, and the keyframe cadence is the same
as one process would give (a piece starts where that process would have put a keyframe).
"""

from __future__ import annotations

import functools
import math
import os
import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg

from smartvideo.atomic_files import atomic_output
from smartvideo.errors import RenderError
from smartvideo.ffmpeg_exec import ffmpeg_binary, run_ffmpeg
from smartvideo.render.drawing import draw_layer
from smartvideo.render.plan import Background, DeviceProfile, PlannedLayer, PlannedScene
from smartvideo.render.video_encoders import NVENC, X264

SLIDE_DISTANCE = 0.06  # of the frame's shorter side
FADE_OUT = 0.3
COUNT_UP_FPS_CAP = 25  # frames drawn for a count-up, at most this many per second
GOP_SECONDS = 2  # a keyframe every 2 s; pieces of a scene start on one


# x264's ultrafast preset with CABAC, the deblocking filter and 8x8 transforms turned back on:
# measured on a 2-core machine it encodes 720p about 2.5x faster than `veryfast` (files about
# 1.5x larger, ~0.7 Mbit/s at 720p), without plain ultrafast's blockiness. Every segment must use
# the same settings, because the joined MP4 keeps the first segment's SPS/PPS.
X264_PARAMS = "cabac=1:deblock=1,0:8x8dct=1:partitions=i8x8,i4x4:scenecut=0:open_gop=0"


def gop_frames(device: DeviceProfile) -> int:
    return device.fps * GOP_SECONDS


def encoder_options(device: DeviceProfile, preset: str = "ultrafast", threads: int | None = None,
                    encoder: str = X264) -> dict[str, Any]:
    """H.264 High, yuv420p, constant frame rate, identical for every segment (stream-copy joins)."""
    common = {
        "vcodec": encoder,
        "maxrate": device.video_bitrate,
        "bufsize": str(int(device.video_bitrate.rstrip("k")) * 2) + "k",
        "profile:v": "high",
        "pix_fmt": "yuv420p",
        "r": device.fps,
        "g": gop_frames(device),
        "fps_mode": "cfr",
        "video_track_timescale": 90000,
        "an": None,
    }
    if encoder == NVENC:
        # Constant quality at x264's CRF, no B-frames and no scene-cut keyframes (like the x264
        # settings), so keyframes fall every GOP and segments join by stream copy. A video is
        # encoded with one encoder throughout: the segment cache key names it.
        return {**common, "preset": "p4", "tune": "hq", "rc": "vbr", "cq": device.crf, "b:v": 0, "bf": 0,
                "no-scenecut": 1, "forced-idr": 1, "level:v": "4.0"}
    return {
        **common,
        "preset": preset,
        "crf": device.crf,
        "level:v": "4.0",
        "x264-params": X264_PARAMS,
        # x264's default (1.5 threads per core plus lookahead) oversubscribes the cores when
        # scenes encode side by side: one thread per core was 20% faster for two at once.
        "threads": threads or os.cpu_count() or 2,
    }


def _cover(stream: Any, device: DeviceProfile) -> Any:
    """Scale to cover the frame and crop the middle: any library clip fits any device."""
    return (
        stream.filter("scale", device.width, device.height, force_original_aspect_ratio="increase",
                      flags="bicubic")
        .filter("crop", device.width, device.height)
        .filter("setsar", 1)
    )


def _gradient_png(colors: tuple[str, ...], device: DeviceProfile, workdir: Path) -> Path:
    from PIL import Image

    path = workdir / f"gradient_{'_'.join(c.strip('#') for c in colors)}_{device.name}.png"
    if path.exists():  # the pieces of a scene share one
        return path
    stops = [tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in colors]
    # A diagonal gradient reads as designed; compute a 256-step ramp once and stretch it.
    ramp = Image.new("RGB", (256, 1))
    for x in range(256):
        pos = x / 255 * (len(stops) - 1)
        i = min(int(pos), len(stops) - 2)
        f = pos - i
        ramp.putpixel((x, 0), tuple(round(a + (b - a) * f) for a, b in zip(stops[i], stops[i + 1], strict=True)))
    size = max(device.width, device.height) * 2
    image = ramp.resize((size, size), Image.Resampling.BILINEAR).rotate(-30, resample=Image.Resampling.BICUBIC)
    left = (size - device.width) // 2
    top = (size - device.height) // 2
    image = image.crop((left, top, left + device.width, top + device.height))
    with atomic_output(path) as partial:
        image.save(partial, format="PNG")
    return path


def background_stream(bg: Background, device: DeviceProfile, duration: float, workdir: Path,
                      frames: range | None = None) -> Any:
    """The scene's background for `frames` (default: from the start), its timestamps in scene time."""
    fps = device.fps
    first_frame = frames.start if frames else 0
    start = first_frame / fps
    if bg.kind == "color":
        color = bg.colors[0].replace("#", "0x")
        stream = ffmpeg.input(f"color=c={color}:s={device.width}x{device.height}:r={fps}:d={duration:.3f}",
                              f="lavfi")
        return stream.filter("setpts", f"PTS+{start:.6f}/TB") if first_frame else stream
    if bg.kind == "video":
        assert bg.path
        if not first_frame:
            source = ffmpeg.input(bg.path, stream_loop=-1 if bg.loop else 0)
            stream = _cover(source.video, device).filter("fps", fps)
        else:
            # Only a looping plate (already at the device's size and fps) is cut into pieces, so
            # frame n of the scene is frame n mod (plate frames) of the plate: play the plate's
            # rest from there, then loop it from its start (ffmpeg's own loop would go back to
            # the seek point). Seek half a frame early: the accurate seek keeps exactly that frame.
            assert frames is not None
            length = plate_frames(bg.path, fps)
            offset = (first_frame % length - 0.5) / fps
            stream = ffmpeg.input(bg.path, ss=f"{max(0.0, offset):.6f}").video
            if first_frame % length + len(frames) > length:  # the piece runs past the plate's end
                stream = ffmpeg.concat(stream, ffmpeg.input(bg.path, stream_loop=-1).video, v=1, a=0)
            stream = (_cover(stream, device).filter("setpts", f"PTS-STARTPTS+{start:.6f}/TB")
                      .filter("fps", fps))
        if not bg.loop:
            stream = stream.filter("tpad", stop=-1, stop_mode="clone")  # hold the last frame
        return stream
    path = bg.path if bg.kind == "image" else str(_gradient_png(bg.colors, device, workdir))
    assert path
    # Scale once, then repeat that one frame: the image is decoded and scaled a single time.
    return (_cover(ffmpeg.input(path).video, device)
            .filter("loop", loop=-1, size=1, start=0).filter("setpts", f"N/{fps}/TB+{start:.6f}/TB"))


@functools.cache
def plate_frames(path: str, fps: int) -> int:
    """How many frames a plate (a clip at `fps`) has: ffmpeg's header duration, in frames."""
    proc = subprocess.run([ffmpeg_binary(), "-hide_banner", "-i", path], capture_output=True, text=True,
                          check=False)
    found = re.search(r"Duration: (\d+):(\d+):(\d+\.\d+)", proc.stderr)
    if not found:
        raise RenderError(f"cannot read the duration of {Path(path).name}")
    hours, minutes, seconds = found.groups()
    return max(1, round((int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * fps))


def _enable(layer: PlannedLayer, duration: float) -> str | None:
    if layer.start <= 0 and layer.end is None:
        return None
    end = layer.end if layer.end is not None else duration + 1
    return f"between(t,{layer.start:.3f},{end:.3f})"


def _animated(image: Any, layer: PlannedLayer, fps: int) -> Any:
    """A looping still with alpha fading in (and out before `end`).

    Converted to yuva420p once, before looping, so the per-frame work is the fade alone; without
    a fade-out the stream ends when the fade-in is done and the overlay holds its last frame.
    """
    stream = (image.filter("format", "yuva420p").filter("loop", loop=-1, size=1, start=0)
              .filter("setpts", f"N/{fps}/TB"))
    stream = stream.filter("fade", t="in", st=layer.start, d=layer.animation_duration, alpha=1)
    if layer.end is not None:
        return stream.filter("fade", t="out", st=max(layer.start, layer.end - FADE_OUT), d=FADE_OUT, alpha=1)
    return stream.filter("trim", end=layer.start + layer.animation_duration + 1 / fps)


def _position(layer: PlannedLayer, x: int, y: int, device: DeviceProfile) -> tuple[str, str]:
    if layer.animation not in ("slide_up", "slide_left"):
        return str(x), str(y)
    distance = round(SLIDE_DISTANCE * min(device.width, device.height))
    # Ease-out cubic from `distance` away to the resting place.
    ease = f"pow(1-clip((t-{layer.start:.3f})/{layer.animation_duration:.3f},0,1),3)"
    if layer.animation == "slide_up":
        return str(x), f"{y}+{distance}*{ease}"
    return f"{x}+{distance}*{ease}", str(y)


def _count_up_frames(layer: PlannedLayer, device: DeviceProfile, workdir: Path, tag: str) -> tuple[str, int, int]:
    """Draw the count-up as a short PNG sequence ending on the final value."""
    assert layer.number is not None
    fps = min(device.fps, COUNT_UP_FPS_CAP)
    frames = max(2, round(layer.animation_duration * fps))
    position = (0, 0)
    for i in range(frames):
        progress = i / (frames - 1)
        eased = 1 - (1 - progress) ** 3
        value = layer.number * eased
        if layer.number_format in ("integer", None) and abs(layer.number) >= 1:
            value = round(value)
        image, position = draw_layer(layer, number_value=value if i < frames - 1 else layer.number)
        image.save(workdir / f"{tag}_{i:04d}.png", compress_level=1)
    return str(workdir / f"{tag}_%04d.png"), position[0], position[1]


def scene_frames(scene: PlannedScene, device: DeviceProfile) -> int:
    return round(scene.duration * device.fps)


@dataclass(frozen=True, slots=True)
class DrawnLayer:
    """A layer drawn to disk: one PNG, or a PNG sequence (count-up) given as an ffmpeg pattern."""

    layer: PlannedLayer
    path: str
    x: int
    y: int
    sequence: bool = False


def draw_layers(scene: PlannedScene, device: DeviceProfile, workdir: Path) -> list[DrawnLayer]:
    """Every layer of `scene` drawn once by Pillow into `workdir`."""
    drawn = []
    for n, layer in enumerate(scene.layers):
        tag = f"s{scene.index:02d}_l{n:02d}"
        if layer.animation == "count_up" and layer.number is not None:
            pattern, x, y = _count_up_frames(layer, device, workdir, tag)
            drawn.append(DrawnLayer(layer, pattern, x, y, sequence=True))
            continue
        image, (x, y) = draw_layer(layer)
        path = workdir / f"{tag}.png"
        image.save(path, compress_level=1)
        drawn.append(DrawnLayer(layer, str(path), x, y))
    return drawn


def scene_graph(scene: PlannedScene, device: DeviceProfile, workdir: Path, output: str,
                preset: str = "ultrafast", frames: range | None = None, threads: int | None = None,
                drawn: list[DrawnLayer] | None = None, encoder: str = X264) -> Any:
    """The ffmpeg-python graph that renders `frames` of `scene` (default: all of it) to `output`.

    A piece starting later in the scene keeps scene time in the graph (layer fades, slides and
    `enable` windows read the same `t`); only the timestamps of what is encoded start at zero.
    """
    frames = frames if frames is not None else range(scene_frames(scene, device))
    stream = background_stream(scene.background, device, scene.duration, workdir, frames)
    for item in drawn if drawn is not None else draw_layers(scene, device, workdir):
        layer = item.layer
        if item.sequence:
            overlay = ffmpeg.input(item.path, framerate=min(device.fps, COUNT_UP_FPS_CAP)).filter(
                "setpts", f"PTS+{layer.start:.3f}/TB")
            stream = ffmpeg.overlay(stream, overlay, x=item.x, y=item.y, eof_action="repeat",
                                    **({"enable": e} if (e := _enable(layer, scene.duration)) else {}))
            continue
        overlay = ffmpeg.input(item.path)
        if layer.animation != "none":
            overlay = _animated(overlay, layer, device.fps)
        px, py = _position(layer, item.x, item.y, device)
        kwargs: dict[str, Any] = {"eof_action": "repeat"}
        enable = _enable(layer, scene.duration)
        if enable and layer.animation == "none":
            kwargs["enable"] = enable
        elif layer.animation != "none" and layer.end is not None:
            kwargs["enable"] = f"lte(t,{layer.end:.3f})"
        stream = ffmpeg.overlay(stream, overlay, x=px, y=py, **kwargs)
    if frames.start:
        stream = stream.filter("setpts", "PTS-STARTPTS")
    stream = stream.filter("format", "yuv420p")
    return ffmpeg.output(stream, output, vframes=len(frames), f="mp4",
                         **encoder_options(device, preset, threads, encoder))


def scene_pieces(scene: PlannedScene, device: DeviceProfile, workers: int = 1) -> list[range]:
    """The scene's frames cut into at most `workers` runs of whole GOPs.

    A video background is cut only when it loops and is a plate (at the device's size and fps,
    see background_plates), which the caller knows: then frame n is plate frame n mod its length.
    """
    frames = scene_frames(scene, device)
    if scene.background.kind == "video" and not scene.background.loop:
        workers = 1
    gops = math.ceil(frames / gop_frames(device))
    count = max(1, min(workers, gops))
    size = math.ceil(gops / count) * gop_frames(device)
    return [range(first, min(first + size, frames)) for first in range(0, frames, size)]


def encode_scene(scene: PlannedScene, device: DeviceProfile, output: Path, preset: str = "ultrafast",
                 workers: int = 1, encoder: str = X264) -> Path:
    """Render one scene to `output` (written to a temporary name, then renamed).

    With `workers` > 1 (only for a background that can start anywhere: a colour, an image or a
    looping plate) the scene is encoded by x264 as up to that many pieces side by side; a GPU
    encoder takes the scene whole.
    """
    pieces = scene_pieces(scene, device, workers if encoder == X264 else 1)
    with tempfile.TemporaryDirectory(prefix="sv-scene-") as tmp, atomic_output(output) as partial:
        workdir = Path(tmp)
        if len(pieces) == 1:
            graph = scene_graph(scene, device, workdir, str(partial), preset, encoder=encoder)
            run_ffmpeg(graph.compile(cmd=ffmpeg_binary())[1:], f"scene '{scene.id}'")
            return output
        drawn = draw_layers(scene, device, workdir)  # once, read by every piece
        parts = [workdir / f"piece{n:02d}.mp4" for n in range(len(pieces))]

        def encode_piece(n: int) -> None:
            graph = scene_graph(scene, device, workdir, str(parts[n]), preset, pieces[n], threads=1, drawn=drawn)
            run_ffmpeg(graph.compile(cmd=ffmpeg_binary())[1:], f"scene '{scene.id}' (part {n + 1})")

        with ThreadPoolExecutor(max_workers=len(pieces)) as pool:
            list(pool.map(encode_piece, range(len(pieces))))
        join_pieces(parts, partial)
    return output


def join_pieces(parts: list[Path], output: Path) -> None:
    """One segment from pieces with identical codec settings, by stream copy."""
    listing = output.with_name(output.name + ".pieces.txt")
    listing.write_text("".join(f"file '{str(p.resolve())}'\n" for p in parts), encoding="utf-8")
    try:
        run_ffmpeg(["-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", "-video_track_timescale", "90000",
                    "-f", "mp4", str(output)], "joining scene pieces")
    finally:
        listing.unlink(missing_ok=True)
