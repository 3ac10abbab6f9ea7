"""How alike two encodes of the same frames are: ffmpeg's SSIM and PSNR filters, frame by frame."""

from __future__ import annotations

import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from smartvideo.errors import RenderError
from smartvideo.ffmpeg_exec import ffmpeg_binary


@dataclass(frozen=True, slots=True)
class Similarity:
    ssim: float  # mean over all frames, 1.0 = identical
    psnr_db: float  # mean over all frames; inf when identical


def compare_videos(candidate: Path, reference: Path) -> Similarity:
    """SSIM and PSNR (all planes) of `candidate` against `reference`, which must have the same size."""
    graph = "[0:v]split[a0][a1];[1:v]split[b0][b1];[a0][b0]ssim;[a1][b1]psnr"
    proc = subprocess.run([ffmpeg_binary(), "-hide_banner", "-nostats", "-i", str(candidate), "-i", str(reference),
                           "-filter_complex", graph, "-f", "null", "-"], capture_output=True, text=True, check=False)
    ssim = re.search(r"SSIM .*All:([\d.]+)", proc.stderr)
    psnr = re.search(r"PSNR .*average:(inf|[\d.]+)", proc.stderr)
    if proc.returncode != 0 or not ssim or not psnr:
        raise RenderError(f"cannot compare {candidate.name} with {reference.name}")
    return Similarity(float(ssim.group(1)), math.inf if psnr.group(1) == "inf" else float(psnr.group(1)))
