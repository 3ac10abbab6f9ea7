"""Background plates: a library clip scaled and cropped to one device size, made once.

Personal scenes are encoded on every click; decoding a 1280x1280 library clip and scaling every
frame costs about twice as much as decoding a ready-made 720p plate. A plate has no personal data,
so it lives in the shared cache next to the static segments.

A plate that personal scenes keep coming back to is also kept decoded: its raw frames (yuv420p,
exactly the pixels its H.264 decodes to) beside it. Reading a frame from the page cache instead of
decoding it halves what the filter graph of a personal scene costs, for the same output bytes. Raw
frames are big (1.4 MB a 720p frame, 276 MB for an 8 s loop), so they are written the second time
a plate is asked for, not for a plate used once, and not beyond RAW_PLATE_MAX_BYTES.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from smartvideo.atomic_files import atomic_output
from smartvideo.errors import RenderError
from smartvideo.ffmpeg_exec import ffmpeg_binary, run_ffmpeg
from smartvideo.render.plan import DeviceProfile

PLATE_VERSION = 3  # part of the file name: bump when the plate's encoding changes
RAW_SUFFIX = ".yuv"
RAW_PLATE_MAX_BYTES = 640 * 1024 * 1024  # a 720p loop of about 19 s
_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()


@dataclass(frozen=True, slots=True)
class RawPlate:
    """How to read a raw plate: yuv420p frames of the device's size, back to back."""

    width: int
    height: int
    fps: int

    @property
    def frame_bytes(self) -> int:
        return self.width * self.height * 3 // 2

    def frames(self, path: str) -> int:
        return os.stat(path).st_size // self.frame_bytes

    def input_options(self) -> dict[str, object]:
        """ffmpeg input options that read the file as this plate's frames."""
        # ("s", not "video_size": ffmpeg-python rewrites that one from a (width, height) pair)
        return {"f": "rawvideo", "pix_fmt": "yuv420p", "s": f"{self.width}x{self.height}",
                "framerate": self.fps}


def raw_plate_format(path: str, device: DeviceProfile) -> RawPlate | None:
    """The raw frame layout when `path` is a raw plate, else None (an encoded clip)."""
    return RawPlate(device.width, device.height, device.fps) if path.endswith(RAW_SUFFIX) else None


def _lock_for(path: Path) -> threading.Lock:
    with _guard:
        return _locks.setdefault(str(path), threading.Lock())


def plate_for(source: str, file_hash: str, device: DeviceProfile, cache_dir: Path, raw: bool = False) -> Path:
    """The plate of `source` for `device`, encoding it the first time it is asked for.

    With `raw`, the plate's decoded frames when they are kept (see the module docstring): they are
    written when the encoded plate was already there, so a plate used once never costs the disk.
    """
    path = cache_dir / "plates" / f"{file_hash}_{device.width}x{device.height}_{device.fps}_v{PLATE_VERSION}.mp4"
    if path.exists():
        return _raw_plate(path, device) if raw else path
    with _lock_for(path):
        if path.exists():
            return path
        fit = (f"scale={device.width}:{device.height}:force_original_aspect_ratio=increase:flags=bicubic,"
               f"crop={device.width}:{device.height},setsar=1,fps={device.fps}")
        with atomic_output(path) as partial:
            # Cheap to decode (no CABAC, no deblocking) and good enough to be re-encoded at CRF 23:
            # CRF 18 decodes a quarter faster than CRF 12 with no difference visible after that.
            # A keyframe every second: a piece of a scene seeks into the plate (scene_encoder)
            # and decodes from the keyframe before its first frame.
            run_ffmpeg(["-i", source, "-an", "-vf", fit, "-c:v", "libx264", "-preset", "ultrafast",
                        "-tune", "fastdecode", "-crf", "18", "-g", str(device.fps), "-pix_fmt", "yuv420p",
                        "-f", "mp4", str(partial)],
                       f"background plate for {Path(source).name}")
    return path


def _raw_plate(plate: Path, device: DeviceProfile) -> Path:
    """`plate` decoded to raw frames once (the encoded plate itself when they would be too big)."""
    raw = plate.with_suffix(RAW_SUFFIX)
    if raw.exists():
        return raw
    layout = RawPlate(device.width, device.height, device.fps)
    if plate_frames(str(plate), device.fps) * layout.frame_bytes > RAW_PLATE_MAX_BYTES:
        return plate
    with _lock_for(raw):
        if raw.exists():
            return raw
        with atomic_output(raw) as partial:
            run_ffmpeg(["-i", str(plate), "-an", "-f", "rawvideo", "-pix_fmt", "yuv420p", str(partial)],
                       f"raw frames of {plate.name}")
    return raw


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
