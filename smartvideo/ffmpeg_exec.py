"""The edge to the ffmpeg binary: where it is, and running it with clean errors."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Sequence

from smartvideo.errors import RenderError


@functools.cache
def ffmpeg_binary() -> str:
    """SMARTVIDEO_FFMPEG if set, else the binary shipped in the imageio-ffmpeg wheel, else PATH."""
    configured = os.environ.get("SMARTVIDEO_FFMPEG")
    if configured:
        return configured
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        found = shutil.which("ffmpeg")
        if found:
            return found
    raise RenderError("no ffmpeg found: install the imageio-ffmpeg wheel or set SMARTVIDEO_FFMPEG")


def run_ffmpeg(args: Sequence[str], what: str, timeout: float = 600) -> None:
    """Run ffmpeg with args (without the binary); failure raises RenderError with its last lines."""
    cmd = [ffmpeg_binary(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise RenderError(f"{what}: ffmpeg took longer than {timeout:.0f} s") from None
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.decode(errors="replace").strip().splitlines()[-8:])
        raise RenderError(f"{what}: ffmpeg failed (exit {proc.returncode}): {tail}")
