"""Encode one planned scene to a video segment: one filter graph, run as one or more ffmpeg processes.

Pillow draws each layer once to raw RGBA; the graph overlays those images (each read once, not
per frame) on the background, with fades and slides as overlay expressions. Every segment has
the same codec settings, so segments join later by stream copy.

A long scene is cut into pieces at keyframe boundaries (whole GOPs) and the pieces are encoded
side by side, one single-threaded ffmpeg each, then joined by stream copy: on 2 cores two
single-threaded x264 processes do the same frames in less CPU time than one two-threaded one, the
filter graph (plate decode, overlays) runs in parallel too, and the keyframe cadence is the same
as one process would give (a piece starts where that process would have put a keyframe).
"""

from __future__ import annotations

import math
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg
from PIL import Image

from smartvideo.atomic_files import atomic_output
from smartvideo.ffmpeg_exec import ffmpeg_binary, run_ffmpeg
from smartvideo.render.animation import (
    LayerFrames,
    count_up_rate,
    count_up_values,
    layer_frames,
    slide_distance,
)
from smartvideo.render.background_plates import plate_frames, raw_plate_format
from smartvideo.render.drawing import draw_layer
from smartvideo.render.plan import Background, DeviceProfile, PlannedLayer, PlannedScene
from smartvideo.render.video_encoders import NVENC, X264

GOP_SECONDS = 2  # a keyframe every 2 s; pieces of a scene start on one


# x264's ultrafast preset with CABAC, the deblocking filter and 8x8 transforms turned back on:
# measured on a 2-core machine it encodes 720p about 2.5x faster than `veryfast` (files about
# 1.5x larger, ~0.7 Mbit/s at 720p), without plain ultrafast's blockiness. Every segment must use
# the same settings, because the joined MP4 keeps the first segment's SPS/PPS.
# No intra partitions (i8x8, i4x4) are searched in P-frames: on these slow, soft backgrounds the
# search took about a tenth of x264's time, and leaving it out makes files a little smaller, at
# SSIM 0.998 against the encode with it (RENDERER_VERSION 2; `bench --only render` measures it).
X264_PARAMS = "cabac=1:deblock=1,0:8x8dct=1:partitions=none:scenecut=0:open_gop=0"
X264_PARAMS_V2 = "cabac=1:deblock=1,0:8x8dct=1:partitions=i8x8,i4x4:scenecut=0:open_gop=0"  # the quality reference


def gop_frames(device: DeviceProfile) -> int:
    return device.fps * GOP_SECONDS


def encoder_options(device: DeviceProfile, preset: str = "ultrafast", threads: int | None = None,
                    encoder: str = X264, x264_params: str = X264_PARAMS) -> dict[str, Any]:
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
        "x264-params": x264_params,
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
        raw = raw_plate_format(bg.path, device)
        options = raw.input_options() if raw else {}
        if not first_frame:
            source = ffmpeg.input(bg.path, stream_loop=-1 if bg.loop else 0, **options)
            stream = _cover(source.video, device).filter("fps", fps)
        else:
            # Only a looping plate (already at the device's size and fps) is cut into pieces, so
            # frame n of the scene is frame n mod (plate frames) of the plate: play the plate's
            # rest from there, then loop it from its start (ffmpeg's own loop would go back to
            # the seek point).
            assert frames is not None
            length = raw.frames(bg.path) if raw else plate_frames(bg.path, fps)
            if raw:  # raw frames: start exactly at the frame's first byte
                stream = ffmpeg.input(bg.path, skip_initial_bytes=first_frame % length * raw.frame_bytes,
                                      **options).video
            else:  # seek half a frame early: the accurate seek keeps exactly that frame
                offset = (first_frame % length - 0.5) / fps
                stream = ffmpeg.input(bg.path, ss=f"{max(0.0, offset):.6f}").video
            if first_frame % length + len(frames) > length:  # the piece runs past the plate's end
                stream = ffmpeg.concat(stream, ffmpeg.input(bg.path, stream_loop=-1, **options).video, v=1, a=0)
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


def _enable(frames: LayerFrames, fps: int) -> str | None:
    """By frame number (t*fps, half a frame of slack), so a `from` between two frames shows on the
    same frame as in preview. (The overlay's own `n` does not count main frames.)"""
    if frames.first == 0 and frames.last is None:
        return None
    if frames.last is None:
        return f"gte(t*{fps},{frames.first - 0.5})"
    return f"between(t*{fps},{frames.first - 0.5},{frames.last + 0.5})"


def _animated(image: Any, frames: LayerFrames, fps: int) -> Any:
    """A looping still with alpha fading in (and out before `end`), frame by frame.

    Converted to yuva420p once, before looping, so the per-frame work is the fade alone; without
    a fade-out the stream ends once fully opaque and the overlay holds that last frame. Exact
    frame timestamps (N/(fps*TB), not N/fps/TB, which rounds some down onto the previous frame)
    and frame-numbered fades keep the held frame fully opaque.
    """
    stream = (image.filter("format", "yuva420p").filter("loop", loop=-1, size=1, start=0)
              .filter("setpts", f"N/({fps}*TB)"))
    stream = stream.filter("fade", t="in", s=frames.first, n=frames.ramp, alpha=1)
    if frames.fade_out_first is not None:
        return stream.filter("fade", t="out", s=frames.fade_out_first, n=frames.fade_out_frames, alpha=1)
    return stream.filter("trim", end_frame=frames.first + frames.ramp + 2)


def _position(layer: PlannedLayer, frames: LayerFrames, x: int, y: int, device: DeviceProfile) -> tuple[str, str]:
    if layer.animation not in ("slide_up", "slide_left"):
        return str(x), str(y)
    distance = slide_distance(device)
    # Ease-out cubic from `distance` away to the resting place (animation.slide_offset in Python).
    ease = f"pow(1-clip((t*{device.fps}-{frames.first})/{frames.ramp},0,1),3)"
    if layer.animation == "slide_up":
        return str(x), f"{y}+{distance}*{ease}"
    return f"{x}+{distance}*{ease}", str(y)


def _write_rgba(images: list[Image.Image], path: Path) -> tuple[int, int]:
    """The images (one size) as raw RGBA frames back to back; returns their size."""
    with open(path, "wb") as out:
        for image in images:
            out.write((image if image.mode == "RGBA" else image.convert("RGBA")).tobytes())
    return images[0].size


def scene_frames(scene: PlannedScene, device: DeviceProfile) -> int:
    return round(scene.duration * device.fps)


@dataclass(frozen=True, slots=True)
class DrawnLayer:
    """A layer drawn to disk as raw RGBA: one image, or a count-up's images back to back.

    Raw, not PNG: nothing to compress here or to decode again in every piece of the scene, and the
    same pixels reach the filter graph."""

    layer: PlannedLayer
    path: str
    x: int
    y: int
    width: int
    height: int
    sequence: bool = False

    def input(self, framerate: int | None = None) -> Any:
        options: dict[str, Any] = {"f": "rawvideo", "pix_fmt": "rgba", "s": f"{self.width}x{self.height}"}
        return ffmpeg.input(self.path, **options, **({"framerate": framerate} if framerate else {}))


TRIM_MARGIN = 8  # transparent pixels kept around a trimmed layer
TRIM_STEP = 8  # a trimmed layer starts on a multiple of this: the 8x8 dither of colour conversion stays put


def trimmed(images: list[Image.Image], x: int, y: int) -> tuple[list[Image.Image], int, int]:
    """The images (one size) cut to the part where any of them is not fully transparent, and where
    that part lands in the frame.

    The overlay filter blends every pixel of a layer on every frame, also transparent ones, and
    about half of a layer's box is empty (text narrower than its box, shadow margins). Blending a
    transparent pixel leaves the frame as it was, so the frames are the same: the cut keeps a
    margin of transparent pixels (colour conversion looks at neighbours) and starts on an even
    pixel, so the 4:2:0 chroma samples and the overlay's even-rounded position line up as before.
    """
    boxes = [box for image in images if (box := image.getchannel("A").getbbox()) is not None]
    if not boxes:
        return images, x, y
    width, height = images[0].size
    step = TRIM_STEP
    left = max(0, (min(b[0] for b in boxes) - TRIM_MARGIN) // step * step)
    top = max(0, (min(b[1] for b in boxes) - TRIM_MARGIN) // step * step)
    right = min(width, -(-(max(b[2] for b in boxes) + TRIM_MARGIN) // step) * step)
    bottom = min(height, -(-(max(b[3] for b in boxes) + TRIM_MARGIN) // step) * step)
    if (left, top, right, bottom) == (0, 0, width, height):
        return images, x, y
    return [image.crop((left, top, right, bottom)) for image in images], x + left, y + top


def draw_layers(scene: PlannedScene, device: DeviceProfile, workdir: Path) -> list[DrawnLayer]:
    """Every layer of `scene` drawn once by Pillow into `workdir`, trimmed to where it has pixels; a
    count-up as its images, the last showing the final value."""
    drawn = []
    for n, layer in enumerate(scene.layers):
        path = workdir / f"s{scene.index:02d}_l{n:02d}.rgba"
        if layer.animation == "count_up" and layer.number is not None:
            placed = [draw_layer(layer, number_value=value) for value in count_up_values(layer, device)]
            images, x, y = trimmed([image for image, _ in placed], *placed[-1][1])
            drawn.append(DrawnLayer(layer, str(path), x, y, *_write_rgba(images, path), sequence=True))
            continue
        image, (x, y) = draw_layer(layer)
        images, x, y = trimmed([image], x, y)
        drawn.append(DrawnLayer(layer, str(path), x, y, *_write_rgba(images, path)))
    return drawn


def scene_graph(scene: PlannedScene, device: DeviceProfile, workdir: Path, output: str,
                preset: str = "ultrafast", frames: range | None = None, threads: int | None = None,
                drawn: list[DrawnLayer] | None = None, encoder: str = X264, x264_params: str = X264_PARAMS) -> Any:
    """The ffmpeg-python graph that renders `frames` of `scene` (default: all of it) to `output`.

    A piece starting later in the scene keeps scene time in the graph (layer fades, slides and
    `enable` windows read the same `t`); only the timestamps of what is encoded start at zero.
    """
    frames = frames if frames is not None else range(scene_frames(scene, device))
    stream = background_stream(scene.background, device, scene.duration, workdir, frames)
    for item in drawn if drawn is not None else draw_layers(scene, device, workdir):
        layer = item.layer
        timing = layer_frames(layer, device.fps)
        if item.sequence:
            overlay = item.input(framerate=count_up_rate(device)).filter(
                "setpts", f"PTS+{timing.first}/({device.fps}*TB)")
            stream = ffmpeg.overlay(stream, overlay, x=item.x, y=item.y, eof_action="repeat",
                                    **({"enable": e} if (e := _enable(timing, device.fps)) else {}))
            continue
        overlay = item.input()
        if layer.animation != "none":
            overlay = _animated(overlay, timing, device.fps)
        px, py = _position(layer, timing, item.x, item.y, device)
        kwargs: dict[str, Any] = {"eof_action": "repeat"}
        enable = _enable(timing, device.fps)
        if enable and layer.animation == "none":
            kwargs["enable"] = enable
        elif layer.animation != "none" and timing.last is not None:
            kwargs["enable"] = f"lte(t*{device.fps},{timing.last + 0.5})"
        stream = ffmpeg.overlay(stream, overlay, x=px, y=py, **kwargs)
    if frames.start:
        stream = stream.filter("setpts", "PTS-STARTPTS")
    stream = stream.filter("format", "yuv420p")
    return ffmpeg.output(stream, output, vframes=len(frames), f="mp4",
                         **encoder_options(device, preset, threads, encoder, x264_params))


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
                 workers: int = 1, encoder: str = X264, x264_params: str = X264_PARAMS) -> Path:
    """Render one scene to `output` (written to a temporary name, then renamed).

    With `workers` > 1 (only for a background that can start anywhere: a colour, an image or a
    looping plate) the scene is encoded by x264 as up to that many pieces side by side; a GPU
    encoder takes the scene whole.
    """
    pieces = scene_pieces(scene, device, workers if encoder == X264 else 1)
    with tempfile.TemporaryDirectory(prefix="sv-scene-") as tmp, atomic_output(output) as partial:
        workdir = Path(tmp)
        if len(pieces) == 1:
            graph = scene_graph(scene, device, workdir, str(partial), preset, encoder=encoder,
                                x264_params=x264_params)
            run_ffmpeg(graph.compile(cmd=ffmpeg_binary())[1:], f"scene '{scene.id}'")
            return output
        drawn = draw_layers(scene, device, workdir)  # once, read by every piece
        parts = [workdir / f"piece{n:02d}.mp4" for n in range(len(pieces))]

        def encode_piece(n: int) -> None:
            # One thread for the filter graph too: the pieces already keep every core busy.
            graph = scene_graph(scene, device, workdir, str(parts[n]), preset, pieces[n], threads=1, drawn=drawn,
                                x264_params=x264_params).global_args("-filter_complex_threads", "1")
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
