"""eSpeak NG through ctypes: small, offline, and speaks about a hundred languages (Dutch too)."""

from __future__ import annotations

import ctypes
import tempfile
import threading
import wave
from importlib import metadata
from pathlib import Path

from smartvideo.errors import VoiceEngineUnavailable, VoiceError
from smartvideo.render.voice.profiles import VoiceProfile

# Constants from espeak-ng's speak_lib.h
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_ESPEAK_RATE = 1
_DEFAULT_RATE = 175  # words per minute at speed 1.0
_SYNTH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)

# The library keeps one global state (voice, rate, callback): one lock, one initialization.
_LOCK = threading.Lock()


class _Library:
    """libespeak-ng, initialized once; synthesizes into a list of int16 byte chunks."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as exc:
            raise VoiceEngineUnavailable(
                f"eSpeak NG is not installed (pip install espeakng-loader): {exc}"
            ) from None
        try:
            lib = ctypes.CDLL(espeakng_loader.get_library_path())
            data_path = espeakng_loader.get_data_path()
        except (OSError, RuntimeError) as exc:
            raise VoiceEngineUnavailable(f"cannot load libespeak-ng: {exc}") from None
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
            ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]  # fmt: skip
        lib.espeak_SetSynthCallback.argtypes = [_SYNTH_CALLBACK]
        self.sample_rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(), 0
        )
        if self.sample_rate <= 0:
            raise VoiceEngineUnavailable(f"eSpeak NG failed to start with its data at {data_path}")
        self.lib = lib
        self.chunks: list[bytes] = []
        # keep a reference: ctypes frees the trampoline if the Python object dies
        self._callback = _SYNTH_CALLBACK(self._collect)
        lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav: ctypes.Array, count: int, _events: int) -> int:
        if wav and count > 0:
            self.chunks.append(ctypes.string_at(wav, count * 2))
        return 0  # 0 = keep going

    def speak(self, text: str, voice: str, speed: float) -> bytes:
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise VoiceError(
                f"eSpeak NG has no voice '{voice}' (try a language code such as 'nl' or 'en-us')"
            )
        self.lib.espeak_SetParameter(_ESPEAK_RATE, round(_DEFAULT_RATE * speed), 0)
        self.chunks = []
        data = text.encode("utf-8")
        status = self.lib.espeak_Synth(
            data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
        )
        self.lib.espeak_Synchronize()
        if status != 0:
            raise VoiceError(f"eSpeak NG failed to speak {text[:40]!r} (error {status})")
        return b"".join(self.chunks)


_library: _Library | None = None


class EspeakEngine:
    """Speaks with an eSpeak NG voice, e.g. 'nl'."""

    name = "espeak"

    @property
    def version(self) -> str:
        try:
            return f"espeakng-loader {metadata.version('espeakng-loader')}"
        except metadata.PackageNotFoundError:
            return "espeakng-loader missing"

    def synthesize(self, text: str, profile: VoiceProfile, out_path: Path | None = None) -> Path:
        """Write `text` spoken by `profile` as a 16-bit mono WAV; returns its path."""
        global _library
        if out_path is None:
            out_path = Path(tempfile.mkstemp(suffix=".wav")[1])
        with _LOCK:
            if _library is None:
                _library = _Library()
            samples = _library.speak(text, profile.voice, profile.speed)
            rate = _library.sample_rate
        with wave.open(str(out_path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            wav.writeframes(samples)
        return out_path
