"""One audio track for the whole video: voice lines at their scene times over a ducked music bed.

Mixed once per video (not per segment), so nothing clicks or drifts at scene joins; loudness at
-16 LUFS (EBU R128 integrated, the level phones and browsers expect for speech). Rather than run
ffmpeg's loudnorm over the whole mix on every click (about 2.5 s for 30 s of audio on 2 cores),
each voice line is mastered to -16 LUFS once (compressor, measured gain, limiter), when it is
first spoken, and kept beside it in the voice cache; the music bed is measured once per file and ducked under the voice.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from smartvideo.atomic_files import atomic_output, write_atomic
from smartvideo.errors import RenderError
from smartvideo.ffmpeg_exec import ffmpeg_stderr, run_ffmpeg

SAMPLE_RATE = 48000
# FFmpeg's default AAC coder (twoloop) took 1.2 of the 1.5 CPU seconds of a 34 s mix; the fast
# coder takes a quarter of that, and 160 kbit/s makes up for its coarser quantisation. Its
# optional tools (temporal noise shaping, noise substitution, intensity and mid/side stereo) cost
# another third of what is left and matter little at 160 kbit/s; the level is untouched.
AAC_OPTIONS = ("-c:a", "aac", "-aac_coder", "fast", "-aac_tns", "0", "-aac_pns", "0", "-aac_is", "0",
               "-aac_ms", "0", "-b:a", "160k")
TARGET_LUFS = -16.0
MAX_GAIN_DB = 36.0  # compressed TTS sits about 15 dB under the target


@dataclass(frozen=True, slots=True)
class PlacedVoice:
    path: str  # a mastered voice line (see master_voice_line), or a spoken one with gain_db
    start: float  # seconds from video start
    gain_db: float | None = None  # set: the mix masters the line itself, with this gain


# A broadcast voice chain: a compressor evens the speech out (TTS voices peak about 20 dB above
# their loudness), a gain brings it to the target, a limiter holds the peaks at -1.5 dBFS.
_COMPRESSOR = "acompressor=threshold=0.05:ratio=6:attack=5:release=80:knee=4"
_LIMITER = "alimiter=limit=0.84:level=false:attack=3:release=40"


def _measured_loudness(path: Path, chain: str) -> float:
    """Integrated loudness (LUFS) of the file after `chain`, by ffmpeg's ebur128 meter."""
    # Padding lets the meter's 400 ms blocks see very short lines; silence is gated out.
    returncode, stderr = ffmpeg_stderr(["-hide_banner", "-nostats", "-i", str(path), "-af",
                                        f"{chain},apad=pad_dur=1,ebur128", "-f", "null", "-"],
                                       "measuring a voice line")
    found = re.findall(r"I:\s+(-?[\d.]+) LUFS", stderr)
    if returncode != 0 or not found:
        raise RenderError(f"cannot measure the voice line {path.name}")
    return float(found[-1])


def _master_chain(gain_db: float) -> str:
    return f"{_COMPRESSOR},volume={gain_db:.2f}dB,{_LIMITER},aresample={SAMPLE_RATE}"


def voice_line_gain(path: Path) -> float:
    """The gain (dB) that brings the compressed line to -16 LUFS, measured once per file version."""
    st = os.stat(path)
    return _line_gain(str(path), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=1024)
def _line_gain(path: str, size: int, mtime_ns: int) -> float:
    loudness = _measured_loudness(Path(path), _COMPRESSOR)
    return round(max(-MAX_GAIN_DB, min(MAX_GAIN_DB, TARGET_LUFS - loudness)), 2) if loudness > -70 else 0.0


def master_voice_line(path: Path) -> Path:
    """The line at -16 LUFS, peaks under -1.5 dBFS, 48 kHz mono, cached next to the original WAV."""
    mastered = mastered_path(path)
    if mastered.exists():
        return mastered
    gain = voice_line_gain(path)
    with atomic_output(mastered) as partial:
        run_ffmpeg(["-i", str(path), "-af", _master_chain(gain), "-ac", "1", "-c:a", "pcm_s16le", "-f", "wav",
                    str(partial)], "mastering a voice line")
    return mastered


def mastered_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.master.wav")


def placed_voice_line(path: Path, start: float, keep: bool) -> PlacedVoice:
    """A spoken line placed in the mix, mastered: from its kept master when there is one; else a
    line worth keeping (`keep`: the same for every customer) is mastered to a file, and any other
    line is mastered inside the mix (its gain measured, no file written: one process fewer)."""
    mastered = mastered_path(path)
    if mastered.exists() or keep:
        return PlacedVoice(str(master_voice_line(path)), start)
    return PlacedVoice(str(path), start, voice_line_gain(path))


@functools.cache
def _file_loudness(path: str, size: int, mtime: float) -> float:
    returncode, stderr = ffmpeg_stderr(["-hide_banner", "-nostats", "-i", path, "-map", "0:a:0", "-af", "ebur128",
                                        "-f", "null", "-"], "measuring the music")
    found = re.findall(r"I:\s+(-?[\d.]+) LUFS", stderr)
    if returncode != 0 or not found:
        raise RenderError(f"cannot measure the loudness of {path}")
    return float(found[-1])


def music_gain_db(path: str, cache_dir: Path | None = None) -> float:
    """Gain (dB) that brings a music file to TARGET_LUFS; measured once per file version."""
    st = os.stat(path)
    key = f"{Path(path).resolve()}|{st.st_size}|{st.st_mtime}"
    store = cache_dir / "music_loudness.json" if cache_dir else None
    known: dict[str, float] = {}
    if store and store.exists():
        try:
            known = json.loads(store.read_text())
        except ValueError:
            known = {}
    if key not in known:
        known[key] = _file_loudness(path, st.st_size, st.st_mtime)
        if store:
            write_atomic(store, json.dumps(known))
    return max(-MAX_GAIN_DB, min(MAX_GAIN_DB, TARGET_LUFS - known[key]))


def decoded_music(path: str, cache_dir: Path) -> str:
    """The music file's samples as decoded (32-bit float WAV), once per file version: every mix
    reads them instead of decoding the AAC again (about a fifth of the mix's CPU)."""
    st = os.stat(path)
    key = hashlib.sha256(f"{Path(path).resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:24]
    decoded = cache_dir / "music" / f"{key}.wav"
    if not decoded.exists():
        with atomic_output(decoded) as partial:
            run_ffmpeg(["-i", path, "-map", "0:a:0", "-c:a", "pcm_f32le", "-f", "wav", str(partial)],
                       f"decoding the music {Path(path).name}")
    return str(decoded)


@dataclass(frozen=True, slots=True)
class MusicBed:
    """How the music runs under a stretch of video: which part of the bed, and its fades."""

    path: str
    volume: float
    start: float = 0.0  # seconds into the (looped) bed where this stretch begins
    fade_in: bool = True
    fade_out: bool = True


def audio_filter(voices: list[PlacedVoice], total: float, music: MusicBed | None = None,
                 music_gain: float = 0.0) -> str:
    """The filter_complex text; inputs: [0] music (when there is music), then one per voice."""
    parts: list[str] = []
    first_voice = 1 if music else 0
    labels = []
    for n, voice in enumerate(voices):
        delay = max(0, round(voice.start * 1000))
        master = f"{_master_chain(voice.gain_db)}," if voice.gain_db is not None else ""
        parts.append(f"[{first_voice + n}:a]{master}aresample={SAMPLE_RATE},"
                     f"aformat=sample_fmts=fltp:channel_layouts=mono,adelay={delay}:all=1[v{n}]")
        labels.append(f"[v{n}]")
    end = f"atrim=0:{total:.3f},apad=whole_dur={total:.3f}"
    if labels:
        mixer = f"amix=inputs={len(labels)}:normalize=0:dropout_transition=0," if len(labels) > 1 else ""
        mix = "".join(labels) + mixer
        parts.append(f"{mix}aformat=channel_layouts=stereo,apad,atrim=0:{total:.3f}[voice]")
    else:
        parts.append(f"anullsrc=r={SAMPLE_RATE}:cl=stereo,atrim=0:{total:.3f}[voice]")
    if music:
        fades = ",afade=t=in:d=0.8" if music.fade_in else ""
        if music.fade_out:
            fades += f",afade=t=out:st={max(0.0, total - 1.5):.3f}:d=1.5"
        parts.append(f"[0:a]aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo,"
                     f"volume={music_gain:.2f}dB,volume={music.volume:.3f},"
                     f"atrim={music.start:.3f}:{music.start + total:.3f},asetpts=PTS-STARTPTS{fades}[music]")
        parts.append("[voice]asplit=2[vmix][vkey]")
        # The music dips under speech and comes back in the pauses.
        parts.append("[music][vkey]sidechaincompress=threshold=0.015:ratio=10:attack=15:release=350[ducked]")
        parts.append("[ducked][vmix]amix=inputs=2:normalize=0:duration=longest[mixed]")
        source = "[mixed]"
    else:
        source = "[voice]"
    parts.append(f"{source}{end}[out]")
    return ";".join(parts)


def build_audio_track(voices: list[PlacedVoice], total: float, output: Path, music: MusicBed | None = None,
                      cache_dir: Path | None = None) -> Path:
    """Mix and encode the track to AAC in an .m4a at `output` (temporary name, then renamed)."""
    if total <= 0:
        raise RenderError("cannot make an audio track for an empty video")
    args: list[str] = []
    if music:
        args += ["-stream_loop", "-1", "-i", decoded_music(music.path, cache_dir) if cache_dir else music.path]
    for voice in voices:
        args += ["-i", voice.path]
    music_gain = music_gain_db(music.path, cache_dir) if music else 0.0
    graph = audio_filter(voices, total, music, music_gain)
    args += ["-filter_complex", graph, "-map", "[out]", *AAC_OPTIONS, "-ar", str(SAMPLE_RATE), "-ac", "2",
             "-f", "mp4"]
    with atomic_output(output) as partial:
        run_ffmpeg([*args, str(partial)], "audio track")
    return output


def join_segments(segments: list[Path], audio: Path, total: float, output: Path) -> Path:
    """Concatenate the scene segments by stream copy and mux the one audio track, faststart."""
    with atomic_output(output) as partial:
        listing = partial.with_name(partial.name + ".concat.txt")
        listing.write_text("".join(f"file '{_quote(p)}'\n" for p in segments), encoding="utf-8")
        try:
            run_ffmpeg(["-f", "concat", "-safe", "0", "-i", str(listing), "-i", str(audio),
                        "-map", "0:v:0", "-map", "1:a:0", "-c", "copy", "-t", f"{total:.3f}",
                        "-movflags", "+faststart", "-f", "mp4", str(partial)], "joining scenes")
        finally:
            listing.unlink(missing_ok=True)
    return output


def _quote(path: Path) -> str:
    # The concat demuxer's quoting: a single quote is written as '\''.
    return str(path.resolve()).replace("'", "'\\''")
