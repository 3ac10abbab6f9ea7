"""Which H.264 encoder a render uses: NVIDIA's h264_nvenc where a GPU and a working encoder are
present, else x264. Probed once per process (a test encode of a few frames), then remembered.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess

from smartvideo.errors import RenderError
from smartvideo.ffmpeg_exec import ffmpeg_binary

X264 = "libx264"
NVENC = "h264_nvenc"
CHOICES = ("auto", X264, NVENC)


def nvidia_gpu_present() -> bool:
    """A cheap look before any probe: an NVIDIA device node or the driver's tool."""
    return os.path.exists("/dev/nvidia0") or shutil.which("nvidia-smi") is not None


@functools.cache
def nvenc_works() -> bool:
    """True when the bundled ffmpeg encodes a few frames with h264_nvenc in the shape renders use."""
    if not nvidia_gpu_present():
        return False
    try:
        proc = subprocess.run([ffmpeg_binary(), "-hide_banner", "-nostdin", "-loglevel", "error",
                               "-f", "lavfi", "-i", "color=c=black:s=256x256:r=25:d=0.2",
                               "-c:v", NVENC, "-profile:v", "high", "-pix_fmt", "yuv420p", "-f", "null", "-"],
                              capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def choose_video_encoder(setting: str = "auto") -> str:
    """`auto`: h264_nvenc when it works here, else libx264; or the encoder named, checked."""
    if setting not in CHOICES:
        raise RenderError(f"unknown video encoder '{setting}'; choose from {', '.join(CHOICES)}")
    if setting == "auto":
        return NVENC if nvenc_works() else X264
    if setting == NVENC and not nvenc_works():
        raise RenderError("h264_nvenc was asked for, but no NVIDIA GPU with a working NVENC was found")
    return setting
