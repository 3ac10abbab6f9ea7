"""Text to speech: voice profiles, the engines that speak them, and a caching VoiceBank."""

from smartvideo.render.voice.bank import Speech, VoiceBank
from smartvideo.render.voice.profiles import VoiceProfile, load_voice_profiles, validate_voice_profiles

__all__ = ["Speech", "VoiceBank", "VoiceProfile", "load_voice_profiles", "validate_voice_profiles"]
