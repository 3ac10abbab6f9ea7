"""One audio track for the whole video: voice lines at their scene times over a ducked music bed.

Mixed once per video (not per segment), so nothing clicks or drifts at scene joins; loudness
normalised to -16 LUFS (EBU R128, the level phones and browsers expect for speech).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from smartvideo.errors import RenderError
from smartvideo.ffmpeg_exec import run_ffmpeg

SAMPLE_RATE = 48000
TARGET_LUFS = -16


@dataclass(frozen=True, slots=True)
class PlacedVoice:
    path: str
    start: float  # seconds from video start


def audio_filter(voices: list[PlacedVoice], has_music: bool, music_volume: float, total: float) -> str:
    """The filter_complex text; inputs: [0] music (when has_music), then one per voice."""
    parts: list[str] = []
    first_voice = 1 if has_music else 0
    labels = []
    for n, voice in enumerate(voices):
        delay = max(0, round(voice.start * 1000))
        parts.append(f"[{first_voice + n}:a]aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=mono,"
                     f"adelay={delay}:all=1[v{n}]")
        labels.append(f"[v{n}]")
    end = f"atrim=0:{total:.3f},apad=whole_dur={total:.3f}"
    if labels:
        mix = "".join(labels) + (f"amix=inputs={len(labels)}:normalize=0:dropout_transition=0," if len(labels) > 1 else "")
        parts.append(f"{mix}aformat=channel_layouts=stereo,apad,atrim=0:{total:.3f}[voice]")
    else:
        parts.append(f"anullsrc=r={SAMPLE_RATE}:cl=stereo,atrim=0:{total:.3f}[voice]")
    if has_music:
        fade = max(0.0, total - 1.5)
        parts.append(f"[0:a]aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo,"
                     f"volume={music_volume:.3f},atrim=0:{total:.3f},afade=t=in:d=0.8,"
                     f"afade=t=out:st={fade:.3f}:d=1.5[music]")
        parts.append("[voice]asplit=2[vmix][vkey]")
        # The music dips under speech and comes back in the pauses.
        parts.append("[music][vkey]sidechaincompress=threshold=0.015:ratio=10:attack=15:release=350[ducked]")
        parts.append("[ducked][vmix]amix=inputs=2:normalize=0:duration=longest[mixed]")
        source = "[mixed]"
    else:
        source = "[voice]"
    parts.append(f"{source}loudnorm=I={TARGET_LUFS}:TP=-1.5:LRA=11,aresample={SAMPLE_RATE},{end}[out]")
    return ";".join(parts)


def build_audio_track(voices: list[PlacedVoice], music: str | None, music_volume: float, total: float,
                      output: Path) -> Path:
    """Mix and encode the track to AAC in an .m4a at `output` (temporary name, then renamed)."""
    if total <= 0:
        raise RenderError("cannot make an audio track for an empty video")
    args: list[str] = []
    if music:
        args += ["-stream_loop", "-1", "-i", music]
    for voice in voices:
        args += ["-i", voice.path]
    partial = output.with_name(f".{output.name}.{os.getpid()}.partial")
    args += ["-filter_complex", audio_filter(voices, bool(music), music_volume, total), "-map", "[out]",
             "-c:a", "aac", "-b:a", "128k", "-ar", str(SAMPLE_RATE), "-ac", "2", "-f", "mp4", str(partial)]
    try:
        run_ffmpeg(args, "audio track")
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return output


def join_segments(segments: list[Path], audio: Path, total: float, output: Path) -> Path:
    """Concatenate the scene segments by stream copy and mux the one audio track, faststart."""
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.{os.getpid()}.partial.mp4")
    listing = output.with_name(f".{output.name}.{os.getpid()}.concat.txt")
    listing.write_text("".join(f"file '{_quote(p)}'\n" for p in segments), encoding="utf-8")
    try:
        run_ffmpeg(["-f", "concat", "-safe", "0", "-i", str(listing), "-i", str(audio),
                    "-map", "0:v:0", "-map", "1:a:0", "-c", "copy", "-t", f"{total:.3f}",
                    "-movflags", "+faststart", "-f", "mp4", str(partial)], "joining scenes")
        os.replace(partial, output)
    finally:
        listing.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
    return output


def _quote(path: Path) -> str:
    # The concat demuxer's quoting: a single quote is written as '\''.
    return str(path.resolve()).replace("'", "'\\''")
