"""Inspect rendered media with real decoders (PyAV wraps FFmpeg's libraries) and ffmpeg itself."""

from __future__ import annotations

import re
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import av

from smartvideo.ffmpeg_exec import ffmpeg_binary


@dataclass(frozen=True)
class MediaInfo:
    video_codec: str
    profile: str
    pix_fmt: str
    width: int
    height: int
    fps: float
    frames: int
    frame_durations: frozenset[int]
    video_duration: float
    audio_codec: str | None
    audio_rate: int | None
    audio_channels: int | None
    audio_duration: float | None


def top_level_boxes(path: Path) -> list[str]:
    """The MP4 top-level box types in file order (moov before mdat means faststart)."""
    boxes = []
    with path.open("rb") as f:
        while header := f.read(8):
            size, kind = struct.unpack(">I4s", header)
            if size == 1:
                size = struct.unpack(">Q", f.read(8))[0]
                f.seek(size - 16, 1)
            elif size == 0:
                boxes.append(kind.decode())
                break
            else:
                f.seek(size - 8, 1)
            boxes.append(kind.decode())
    return boxes


def probe(path: Path) -> MediaInfo:
    """Decode every frame (raising on a decode error) and measure streams."""
    with av.open(str(path)) as container:
        vstream = container.streams.video[0]
        codec = vstream.codec_context
        info = dict(video_codec=codec.name, profile=codec.profile or "", pix_fmt=codec.pix_fmt or "",
                    width=codec.width, height=codec.height, fps=float(vstream.average_rate or 0))
        frames = 0
        durations = set()
        last_end = 0.0
        for frame in container.decode(video=0):
            frames += 1
            if frame.duration:
                durations.add(int(frame.duration))
            last_end = float(frame.time or 0) + 1 / info["fps"]
        audio = None
        if container.streams.audio:
            astream = container.streams.audio[0]
            audio = (astream.codec_context.name, astream.codec_context.sample_rate, astream.codec_context.channels,
                     float(astream.duration * astream.time_base) if astream.duration else None)
    with av.open(str(path)) as container:
        if container.streams.audio:
            samples = 0
            rate = container.streams.audio[0].codec_context.sample_rate
            for aframe in container.decode(audio=0):
                samples += aframe.samples
            audio = (*audio[:3], samples / rate)
    return MediaInfo(**info, frames=frames, frame_durations=frozenset(durations), video_duration=last_end,
                     audio_codec=audio[0] if audio else None, audio_rate=audio[1] if audio else None,
                     audio_channels=audio[2] if audio else None, audio_duration=audio[3] if audio else None)


def integrated_loudness(path: Path) -> float:
    """EBU R128 integrated loudness (LUFS) measured by ffmpeg's ebur128 filter."""
    proc = subprocess.run([ffmpeg_binary(), "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a",
                           "-af", "ebur128", "-f", "null", "-"], capture_output=True, text=True, check=True)
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", proc.stderr)[-1])
