"""A personal line is mastered inside the mix (no file of its own): it must sound as the kept master does."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import pytest

from smartvideo.ffmpeg_exec import ffmpeg_binary
from smartvideo.render.audio_track import (
    PlacedVoice,
    build_audio_track,
    master_voice_line,
    placed_voice_line,
    voice_line_gain,
)
from tests.media_probe import integrated_loudness

pytestmark = pytest.mark.slow


@pytest.fixture()
def spoken(tmp_path: Path) -> Path:
    """A quiet 22.05 kHz mono 'line' (a gliding tone with pauses), as a TTS engine writes one."""
    line = tmp_path / "line.wav"
    subprocess.run([ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i",
                    "aevalsrc=0.05*sin(2*PI*(220+40*t)*t)*gt(mod(t\\,1)\\,0.2):s=22050:d=3",
                    "-c:a", "pcm_s16le", str(line)], check=True)
    return line


def _samples(path: Path) -> list[int]:
    decoded = path.with_suffix(".decoded.wav")
    subprocess.run([ffmpeg_binary(), "-v", "error", "-y", "-i", str(path), "-c:a", "pcm_s16le", str(decoded)],
                   check=True)
    with wave.open(str(decoded)) as wav:
        frames = wav.readframes(wav.getnframes())
    return [int.from_bytes(frames[i:i + 2], "little", signed=True) for i in range(0, len(frames), 2)]


def test_a_line_mastered_in_the_mix_matches_its_kept_master(spoken: Path, tmp_path: Path) -> None:
    in_mix = placed_voice_line(spoken, 0.5, keep=False)
    assert in_mix.gain_db == voice_line_gain(spoken) and in_mix.path == str(spoken)
    assert not spoken.with_name("line.master.wav").exists()  # nothing written for a personal line
    kept = PlacedVoice(str(master_voice_line(spoken)), 0.5)

    a = build_audio_track([in_mix], 4.0, tmp_path / "in_mix.m4a")
    b = build_audio_track([kept], 4.0, tmp_path / "kept.m4a")
    assert integrated_loudness(a) == pytest.approx(integrated_loudness(b), abs=0.1)
    assert integrated_loudness(a) == pytest.approx(-16, abs=1.0)
    x, y = _samples(a), _samples(b)
    assert len(x) == len(y)
    peak = max(abs(v) for v in y)
    assert max(abs(p - q) for p, q in zip(x, y, strict=True)) < peak * 0.02  # the same sound, AAC noise apart
