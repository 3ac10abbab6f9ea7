"""gTTS: Google Translate's voices. Online only, so it fails fast when there is no network."""

from __future__ import annotations

import socket
import subprocess
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path

from smartvideo.errors import VoiceEngineUnavailable, VoiceError
from smartvideo.render.voice.profiles import VoiceProfile

_HOST = "translate.google.com"
_TIMEOUT = 3.0  # seconds; a render must not hang on a dead network
_OFFLINE_MEMORY = 60.0  # seconds to remember "offline", so each line of a video does not re-wait

_state_lock = threading.Lock()
_offline_until = 0.0
_offline_reason = ""


def _reachable() -> str | None:
    """None when translate.google.com answers within the timeout, else the reason it did not."""
    result: list[str | None] = ["timed out after 3 s"]

    def probe() -> None:
        try:
            socket.create_connection((_HOST, 443), timeout=_TIMEOUT).close()
            result[0] = None
        except OSError as exc:
            result[0] = str(exc) or type(exc).__name__

    # a thread, because DNS lookups ignore socket timeouts and can hang much longer
    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(_TIMEOUT)
    return result[0]


def _check_online() -> None:
    global _offline_until, _offline_reason
    with _state_lock:
        if time.monotonic() < _offline_until:
            raise VoiceEngineUnavailable(
                f"gTTS needs internet access to {_HOST}: {_offline_reason}"
            )
    reason = _reachable()
    if reason is not None:
        with _state_lock:
            _offline_until = time.monotonic() + _OFFLINE_MEMORY
            _offline_reason = reason
        raise VoiceEngineUnavailable(f"gTTS needs internet access to {_HOST}: {reason}")


def _mp3_to_wav(mp3: Path, wav: Path, speed: float) -> None:
    import imageio_ffmpeg

    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(mp3)]
    if speed != 1.0:
        command += ["-filter:a", f"atempo={speed}"]  # gTTS itself only knows normal and slow
    command += ["-ac", "1", "-c:a", "pcm_s16le", "-f", "wav", str(wav)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise VoiceError(
            f"ffmpeg could not convert gTTS audio to WAV: {done.stderr.strip()[-300:]}"
        )


class GttsEngine:
    """Speaks through Google Translate; `voice` is the Google domain (accent), e.g. 'co.uk'."""

    name = "gtts"

    @property
    def version(self) -> str:
        try:
            return f"gTTS {metadata.version('gTTS')}"
        except metadata.PackageNotFoundError:
            return "gTTS missing"

    def synthesize(self, text: str, profile: VoiceProfile, out_path: Path | None = None) -> Path:
        """Write `text` spoken by `profile` as a 16-bit mono WAV; returns its path."""
        try:
            from gtts import gTTS, gTTSError
            from gtts.lang import tts_langs
        except ImportError as exc:
            raise VoiceEngineUnavailable(
                f"gTTS is not installed (pip install gTTS): {exc}"
            ) from None
        if profile.lang not in tts_langs():
            raise VoiceError(f"gTTS does not speak the language '{profile.lang}'")
        # `voice` may repeat the language ("en") meaning the default domain, or name a domain
        tld = "com" if profile.voice in tts_langs() else profile.voice
        _check_online()
        if out_path is None:
            out_path = Path(tempfile.mkstemp(suffix=".wav")[1])
        with tempfile.TemporaryDirectory() as tmp:
            mp3 = Path(tmp) / "speech.mp3"
            try:
                gTTS(text, lang=profile.lang, tld=tld, timeout=_TIMEOUT).save(str(mp3))
            except gTTSError as exc:
                raise VoiceEngineUnavailable(
                    f"gTTS needs internet access to {_HOST}: {exc}"
                ) from None
            _mp3_to_wav(mp3, out_path, profile.speed)
        return out_path
