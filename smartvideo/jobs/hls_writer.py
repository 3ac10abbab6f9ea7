"""Progressive start: an HLS EVENT playlist that grows by one MPEG-TS segment per finished scene.

The renderer hands scenes over in order (as a SceneSink); each becomes a .ts by copying the
scene's H.264 and its own AAC slice of the soundtrack (no re-encode), stamped with the scene's
start time so the player sees one continuous timeline. The page plays scene 1 while
later scenes encode; `#EXT-X-ENDLIST` is written when the last scene is in.
"""

from __future__ import annotations

import hashlib
import math
import shutil
from pathlib import Path

from smartvideo.atomic_files import atomic_output, write_atomic
from smartvideo.ffmpeg_exec import run_ffmpeg
from smartvideo.render.plan import PlannedScene, RenderPlan

PLAYLIST = "index.m3u8"
TARGET_DURATION = 30  # seconds; longer than any scene the shipped stories make


def mux_scene_segment(scene: PlannedScene, segment: Path, audio: Path, target: Path) -> None:
    """One MPEG-TS segment on the video's timeline: the scene's H.264 and its own AAC slice, copied."""
    with atomic_output(target) as partial:
        run_ffmpeg(["-i", str(segment), "-i", str(audio), "-map", "0:v:0", "-map", "1:a:0", "-c", "copy",
                    "-t", f"{scene.duration:.3f}", "-output_ts_offset", f"{scene.start:.3f}",
                    "-muxdelay", "0", "-muxpreload", "0", "-f", "mpegts", str(partial)],
                   f"HLS segment for scene {scene.index + 1}")


def segment_name(index: int) -> str:
    return f"s{index:03d}.ts"


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
    """A renderer SceneSink that grows an HLS EVENT playlist in `folder` (emptied first).

    With a `cache_dir`, the segment of a scene without personal data (the same picture and sound
    for every customer) is muxed once and copied afterwards: a click whose first scene is static
    has its stream as soon as the plan reaches it.
    """

    def __init__(self, folder: Path, cache_dir: Path | None = None):
        self.folder = folder
        self.cache_dir = cache_dir
        self.durations: list[float] = []
        if folder.exists():  # a previous, interrupted attempt: start the timeline again
            shutil.rmtree(folder)
        folder.mkdir(parents=True)

    @property
    def playlist(self) -> Path:
        return self.folder / PLAYLIST

    def scene_ready(self, scene: PlannedScene, segment: Path, audio: Path) -> None:
        target = self.folder / segment_name(scene.index)
        cached = self._cached_segment(scene, segment, audio)
        if cached is not None and not cached.exists():
            cached.parent.mkdir(parents=True, exist_ok=True)
            mux_scene_segment(scene, segment, audio, cached)
        if cached is not None:
            with atomic_output(target) as partial:
                shutil.copyfile(cached, partial)
        else:
            mux_scene_segment(scene, segment, audio, target)
        self.durations.append(scene.duration)
        write_atomic(self.playlist, playlist_text(self.durations, self.target_duration(), ended=False))

    def _cached_segment(self, scene: PlannedScene, segment: Path, audio: Path) -> Path | None:
        if self.cache_dir is None or scene.personal:
            return None
        # The video segment's name is its content hash (the renderer's cache); the audio slice is
        # hashed here; the timeline offset and length complete what decides the bytes.
        sound = hashlib.sha256(audio.read_bytes()).hexdigest()
        key = hashlib.sha256(f"{segment.name}:{sound}:{scene.start:.3f}:{scene.duration:.3f}".encode()).hexdigest()
        return self.cache_dir / "hls" / f"{key[:32]}.ts"

    def finished(self, plan: RenderPlan) -> None:
        write_atomic(self.playlist, playlist_text(self.durations, self.target_duration(), ended=True))

    def target_duration(self) -> int:
        # The playlist's target duration may not change while it grows, and later scenes'
        # lengths are not known yet (their lines are still being spoken): a fixed ceiling.
        return max(TARGET_DURATION, math.ceil(max(self.durations, default=0)))
