"""Background plates: a library clip scaled and cropped to one device size, made once.

Personal scenes are encoded on every click; decoding a 1280x1280 library clip and scaling every
frame costs about twice as much as decoding a ready-made 720p plate. A plate has no personal data,
so it lives in the shared cache next to the static segments.
"""

from __future__ import annotations

import threading
from pathlib import Path

from smartvideo.atomic_files import atomic_output
from smartvideo.ffmpeg_exec import run_ffmpeg
from smartvideo.render.plan import DeviceProfile

PLATE_VERSION = 3  # part of the file name: bump when the plate's encoding changes
_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()


def plate_for(source: str, file_hash: str, device: DeviceProfile, cache_dir: Path) -> Path:
    """The plate of `source` for `device`, encoding it the first time it is asked for."""
    path = cache_dir / "plates" / f"{file_hash}_{device.width}x{device.height}_{device.fps}_v{PLATE_VERSION}.mp4"
    if path.exists():
        return path
    with _guard:
        lock = _locks.setdefault(str(path), threading.Lock())
    with lock:
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
