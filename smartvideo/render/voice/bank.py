"""The VoiceBank: speaks a line with a profile, caching WAVs by content and following fallbacks."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from smartvideo.errors import VoiceEngineUnavailable, VoiceError
from smartvideo.render.voice.espeak_engine import EspeakEngine
from smartvideo.render.voice.gtts_engine import GttsEngine
from smartvideo.render.voice.piper_engine import PiperEngine
from smartvideo.render.voice.profiles import VoiceProfile

log = logging.getLogger(__name__)

_LOCK_STRIPES = 64  # concurrent lines hash onto these; the same line always meets the same lock


class VoiceEngine(Protocol):
    name: str

    @property
    def version(self) -> str: ...

    def synthesize(
        self, text: str, profile: VoiceProfile, out_path: Path | None = None
    ) -> Path: ...


ENGINE_CLASSES: dict[str, type[VoiceEngine]] = {
    "piper": PiperEngine,
    "gtts": GttsEngine,
    "espeak": EspeakEngine,
}


@dataclass(frozen=True, slots=True)
class Speech:
    path: Path  # the cached WAV
    duration: float  # seconds, from the WAV frame count
    profile: str  # id of the profile that actually spoke (after fallback)
    engine: str
    cached: bool
    cpu_s: float = 0.0  # CPU-seconds this thread spent speaking it (0 when it came from the cache)


def wav_duration(path: Path) -> float:
    """Length of a WAV file in seconds."""
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


class VoiceBank:
    """Turns (text, profile id) into a WAV on disk; safe to share between threads."""

    def __init__(self, profiles: dict[str, VoiceProfile], cache_dir: Path):
        self.profiles = profiles
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self._engines: dict[str, VoiceEngine] = {}
        self._engines_lock = threading.Lock()
        self._line_locks = [threading.Lock() for _ in range(_LOCK_STRIPES)]

    def engine_for(self, profile: VoiceProfile) -> VoiceEngine:
        """The one engine instance for the profile's engine name."""
        with self._engines_lock:
            engine = self._engines.get(profile.engine)
            if engine is None:
                cls = ENGINE_CLASSES.get(profile.engine)
                if cls is None:
                    raise VoiceError(
                        f"voice '{profile.id}' names an unknown engine '{profile.engine}'"
                    )
                engine = self._engines[profile.engine] = cls()
            return engine

    def cache_key(self, text: str, profile: VoiceProfile) -> str:
        """Hash of everything that decides the sound; the profile id is left out on purpose."""
        engine = self.engine_for(profile)
        fields = [engine.name, engine.version, profile.voice, profile.lang, profile.speed, text]
        return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()[:32]

    def speak(self, text: str, profile_id: str) -> Speech:
        """Speak `text` with the profile (or its fallbacks), from the cache when possible."""
        if not text or not text.strip():
            raise VoiceError(f"nothing to say: the text for voice '{profile_id}' is empty")
        text = text.strip()
        failures: list[str] = []
        visited: set[str] = set()
        current: str | None = profile_id
        while current is not None:
            if current in visited:  # validation rejects cycles; this guards hand-built profiles
                break
            visited.add(current)
            profile = self.profiles.get(current)
            if profile is None:
                known = ", ".join(sorted(self.profiles)) or "none"
                raise VoiceError(f"unknown voice profile '{current}'; known voices: {known}")
            try:
                speech = self._speak_with(text, profile)
            except VoiceEngineUnavailable as exc:
                failures.append(f"{profile.id} ({profile.engine}): {exc}")
                current = profile.fallback
                continue
            if failures:
                log.warning(
                    "voice %s is unavailable, %s (%s) spoke instead: %s",
                    profile_id, profile.id, profile.engine, "; ".join(failures),
                )  # fmt: skip
            return speech
        raise VoiceEngineUnavailable(
            f"no engine could speak for voice '{profile_id}': " + "; ".join(failures)
        )

    def _speak_with(self, text: str, profile: VoiceProfile) -> Speech:
        engine = self.engine_for(profile)
        key = self.cache_key(text, profile)
        target = self.cache_dir / f"{key}.wav"
        # one lock per line: two renders asking for the same line synthesize it once
        with self._line_locks[int(key[:8], 16) % _LOCK_STRIPES]:
            if target.is_file():
                return Speech(target, wav_duration(target), profile.id, engine.name, cached=True)
            fd, tmp_name = tempfile.mkstemp(dir=self.cache_dir, prefix=f".{key}-", suffix=".part")
            os.close(fd)
            tmp = Path(tmp_name)
            try:
                started = time.thread_time()
                engine.synthesize(text, profile, tmp)
                cpu_s = time.thread_time() - started
                duration = wav_duration(tmp)
                if duration <= 0:
                    raise VoiceError(f"{engine.name} produced no sound for {text[:40]!r}")
                os.replace(tmp, target)  # atomic: readers never see half a file
            except wave.Error as exc:
                raise VoiceError(
                    f"{engine.name} wrote a broken WAV for {text[:40]!r}: {exc}"
                ) from exc
            finally:
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
        return Speech(target, duration, profile.id, engine.name, cached=False, cpu_s=cpu_s)
