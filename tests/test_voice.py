"""Voice profiles, the real engines (piper, eSpeak NG, gTTS offline) and the caching VoiceBank."""

from __future__ import annotations

import logging
import time
import wave
from pathlib import Path

import pytest

from smartvideo.errors import SceneError, VoiceEngineUnavailable, VoiceError
from smartvideo.render.voice import VoiceBank, VoiceProfile, load_voice_profiles, validate_voice_profiles
from smartvideo.render.voice.gtts_engine import GttsEngine, _reachable

VOICES = Path(__file__).resolve().parent.parent / "voices"
ENGLISH = "Hello Anna, this month your energy bill is lower than before."  # 11 words
DUTCH = "Deze maand betaalt u 135 euro en 20 cent."


@pytest.fixture(scope="module")
def profiles() -> dict[str, VoiceProfile]:
    return load_voice_profiles(VOICES)


@pytest.fixture()
def bank(profiles: dict[str, VoiceProfile], tmp_path: Path) -> VoiceBank:
    return VoiceBank(profiles, tmp_path / "voice-cache")


def _frames(path: Path) -> tuple[int, int]:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes(), wav.getframerate()


def test_shipped_profiles_load(profiles: dict[str, VoiceProfile]) -> None:
    assert set(profiles) >= {"joe_en", "google_en", "anna_nl"}
    assert profiles["joe_en"].engine == "piper"
    assert profiles["google_en"].fallback == "joe_en"
    assert profiles["anna_nl"].lang == "nl"
    assert validate_voice_profiles(VOICES) == []


def test_piper_speaks_english_and_caches(bank: VoiceBank) -> None:
    speech = bank.speak(ENGLISH, "joe_en")
    assert speech.engine == "piper" and speech.profile == "joe_en" and not speech.cached
    assert speech.cpu_s > 0  # what speaking it cost (the render benchmark reports it per click)
    assert speech.path.parent == bank.cache_dir and speech.path.suffix == ".wav"
    frames, rate = _frames(speech.path)
    assert 1.5 < speech.duration < 8.0
    assert speech.duration == pytest.approx(frames / rate)
    mtime = speech.path.stat().st_mtime_ns

    again = bank.speak(ENGLISH, "joe_en")
    assert again.cached and again.path == speech.path and again.duration == speech.duration
    assert again.cpu_s == 0
    assert again.path.stat().st_mtime_ns == mtime
    assert not list(bank.cache_dir.glob(".*.part"))  # no temp files left behind


def test_cache_key_depends_on_speed(bank: VoiceBank, profiles: dict[str, VoiceProfile]) -> None:
    joe = profiles["joe_en"]
    fast = VoiceProfile("joe_fast", "piper", joe.voice, joe.lang, speed=1.5)
    assert bank.cache_key(ENGLISH, joe) != bank.cache_key(ENGLISH, fast)
    assert bank.cache_key(ENGLISH, joe) == bank.cache_key(f"{ENGLISH}", joe)


def test_espeak_speaks_dutch(bank: VoiceBank) -> None:
    speech = bank.speak(DUTCH, "anna_nl")
    assert speech.engine == "espeak" and speech.profile == "anna_nl" and not speech.cached
    assert 1.5 < speech.duration < 8.0
    frames, rate = _frames(speech.path)
    assert frames > 0 and rate > 8000


def test_empty_text_and_unknown_profile(bank: VoiceBank) -> None:
    with pytest.raises(VoiceError, match="empty"):
        bank.speak("   ", "joe_en")
    with pytest.raises(VoiceError, match="unknown voice profile 'nobody'"):
        bank.speak(ENGLISH, "nobody")


def test_unknown_espeak_voice_is_an_error(tmp_path: Path) -> None:
    bad = {"x": VoiceProfile("x", "espeak", "no-such-voice-zz", "zz")}
    with pytest.raises(VoiceError, match="no voice 'no-such-voice-zz'"):
        VoiceBank(bad, tmp_path).speak("Hallo", "x")


def _require_offline() -> None:
    reason = _reachable()
    if reason is None:
        pytest.skip(
            "translate.google.com is reachable; the offline behaviour cannot be tested here"
        )


def test_gtts_without_network_fails_fast(profiles: dict[str, VoiceProfile], tmp_path: Path) -> None:
    _require_offline()
    started = time.monotonic()
    with pytest.raises(VoiceEngineUnavailable, match="gTTS needs internet access"):
        GttsEngine().synthesize(ENGLISH, profiles["google_en"], tmp_path / "out.wav")
    assert time.monotonic() - started < 4.0


def test_gtts_falls_back_to_piper(bank: VoiceBank, caplog: pytest.LogCaptureFixture) -> None:
    _require_offline()
    with caplog.at_level(logging.WARNING, logger="smartvideo.render.voice.bank"):
        speech = bank.speak(ENGLISH, "google_en")
    assert speech.profile == "joe_en" and speech.engine == "piper"
    assert 1.5 < speech.duration < 8.0
    assert "google_en" in caplog.text and "gtts" in caplog.text and "joe_en" in caplog.text


def test_no_fallback_left_raises(profiles: dict[str, VoiceProfile], tmp_path: Path) -> None:
    _require_offline()
    lonely = {"g": VoiceProfile("g", "gtts", "com", "en")}
    with pytest.raises(
        VoiceEngineUnavailable, match="no engine could speak for voice 'g'.*internet"
    ):
        VoiceBank(lonely, tmp_path).speak(ENGLISH, "g")


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = "id: {id}\nengine: espeak\nvoice: nl\nlang: nl\n"


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        (
            "id: v\nengine: espeak\nvoice: nl\nlang: nl\nsped: 1.2\n",
            5,
            "unknown key 'sped'.*did you mean 'speed'",
        ),
        ("id: v\nengine: festival\nvoice: nl\nlang: nl\n", 2, "unknown voice engine 'festival'"),
        ("id: w\nengine: espeak\nvoice: nl\nlang: nl\n", 1, "must match the file name 'v'"),
        (
            "id: v\nengine: espeak\nvoice: nl\nlang: nl\nspeed: fast\n",
            5,
            "'speed' must be a number",
        ),
        ("id: v\nengine: espeak\nvoice: [nl]\nlang: nl\n", 3, "'voice' must be non-empty text"),
        (
            "id: v\nengine: espeak\nvoice: nl\n\nlang: nl\nfallback: ghost\n",
            6,
            "fallback 'ghost' is not",
        ),
        (
            "id: v\nengine: espeak\nvoice: nl\nlang: nl\nspeed: 1\n  bad: [\n",
            6,
            "YAML syntax error",
        ),
    ],
)
def test_profile_errors_carry_file_and_line(
    tmp_path: Path, body: str, line: int, message: str
) -> None:
    path = _write(tmp_path, "v", body)
    with pytest.raises(SceneError, match=message) as info:
        load_voice_profiles(tmp_path)
    assert info.value.file == str(path)
    assert info.value.line == line
    assert str(info.value).startswith(f"{path}:{line}: ")


def test_fallback_cycle_and_all_errors_collected(tmp_path: Path) -> None:
    a = _write(tmp_path, "a", GOOD.format(id="a") + "fallback: b\n")
    b = _write(tmp_path, "b", GOOD.format(id="b") + "fallback: a\n")
    _write(tmp_path, "c", "id: c\nengine: espeak\nvoice: nl\n")  # lang missing
    errors = validate_voice_profiles(tmp_path)
    assert [(e.file, e.line) for e in errors] == [
        (str(tmp_path / "c.yaml"), 1),
        (str(a), 5),
        (str(b), 5),
    ]
    assert "missing the required key 'lang'" in errors[0].message
    assert "cycle: a -> b -> a" in errors[1].message
    assert "cycle: b -> a -> b" in errors[2].message
    with pytest.raises(SceneError, match="missing the required key 'lang'"):
        load_voice_profiles(tmp_path)


def test_shared_bank_across_threads(bank: VoiceBank) -> None:
    from concurrent.futures import ThreadPoolExecutor

    jobs = [("Goedemorgen, dit is uw overzicht.", "anna_nl"), ("Good morning, Anna.", "joe_en")] * 4
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda job: bank.speak(*job), jobs))
    assert len({r.path for r in results}) == 2
    assert sum(not r.cached for r in results) == 2  # each line synthesized exactly once
    assert len(list(bank.cache_dir.iterdir())) == 2  # no temp files left


def test_speed_changes_duration(tmp_path: Path) -> None:
    normal = VoiceProfile("n", "espeak", "nl", "nl")
    fast = VoiceProfile("f", "espeak", "nl", "nl", speed=1.6)
    bank = VoiceBank({"n": normal, "f": fast}, tmp_path)
    assert bank.speak(DUTCH, "f").duration < 0.8 * bank.speak(DUTCH, "n").duration
