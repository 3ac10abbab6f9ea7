"""Progressive start: an HLS EVENT playlist that grows by one MPEG-TS segment per finished scene.

The renderer hands scenes over in order (`on_scene_ready`); each becomes a .ts by copying the
scene's H.264 (no re-encode) and encoding its slice of the one audio track to AAC, stamped with
the scene's start time so the player sees one continuous timeline. The page plays scene 1 while
later scenes encode; `#EXT-X-ENDLIST` is written when the last scene is in.
"""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

from smartvideo.ffmpeg_exec import run_ffmpeg
from smartvideo.render_plan import RenderPlan

PLAYLIST = "index.m3u8"


def segment_name(index: int) -> str:
    return f"s{index:03d}.ts"


def _write_atomic(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def playlist_text(durations: list[float], target: int, ended: bool) -> str:
    """The EVENT playlist for the segments written so far (EVENT: segments are only ever added)."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{target}", "#EXT-X-MEDIA-SEQUENCE:0",
             "#EXT-X-PLAYLIST-TYPE:EVENT", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for index, duration in enumerate(durations):
        lines += [f"#EXTINF:{duration:.3f},", segment_name(index)]
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


class HlsWriter:
    """Callable for `Renderer.render(on_scene_ready=...)`; writes into `folder` (emptied first)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.durations: list[float] = []
        if folder.exists():  # a previous, interrupted attempt: start the timeline again
            shutil.rmtree(folder)
        folder.mkdir(parents=True)

    @property
    def playlist(self) -> Path:
        return self.folder / PLAYLIST

    def __call__(self, plan: RenderPlan, index: int, segment: Path, audio: Path) -> None:
        scene = plan.scenes[index]
        target = self.folder / segment_name(index)
        partial = self.folder / f".{target.name}.{os.getpid()}.partial"
        # The segment's video is stream-copied; audio is the same slice of the whole-video track.
        run_ffmpeg(["-i", str(segment), "-ss", f"{scene.start:.3f}", "-t", f"{scene.duration:.3f}",
                    "-i", str(audio), "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy",
                    "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2",
                    "-t", f"{scene.duration:.3f}", "-output_ts_offset", f"{scene.start:.3f}",
                    "-muxdelay", "0", "-muxpreload", "0", "-f", "mpegts", str(partial)],
                   f"HLS segment for scene {index + 1}")
        os.replace(partial, target)
        self.durations.append(scene.duration)
        ended = index == len(plan.scenes) - 1
        longest = max(s.duration for s in plan.scenes)
        _write_atomic(self.playlist, playlist_text(self.durations, math.ceil(longest), ended))
