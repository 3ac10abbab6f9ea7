"""Voice profiles: one `voices/<id>.yaml` per voice, naming the engine and how it speaks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from smartvideo.errors import SceneError
from smartvideo.render.scene_keys import VOICE, allowed, required
from smartvideo.yamlfile import LineDict, check_keys, load_mapping

ENGINES = VOICE["engine"].choices
_ALLOWED = allowed(VOICE)
_REQUIRED = required(VOICE)
# Beyond this the engines distort or refuse; a typo like 12 instead of 1.2 should be caught.
_SPEED_RANGE = (0.5, 2.0)


@dataclass(frozen=True, slots=True)
class VoiceProfile:
    id: str
    engine: str  # piper | gtts | espeak
    voice: str  # piper: model name or .onnx path; gtts: tld or lang; espeak: voice name
    lang: str  # "en", "nl", ...
    speed: float = 1.0
    fallback: str | None = None  # id of the profile used when this engine is unavailable
    file: str = ""
    line: int = 0


def _text(data: LineDict, key: str, optional: bool = False) -> str | None:
    value = data.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise SceneError(
            f"'{key}' must be non-empty text, not {value!r}", data.file, data.line_of(key)
        )
    return value.strip()


def _parse_profile(path: Path) -> tuple[VoiceProfile, int]:
    """One profile and the line of its `fallback:` key (for errors found across files)."""
    data = load_mapping(path)
    check_keys(data, _ALLOWED, _REQUIRED, "a voice profile")
    profile_id = _text(data, "id")
    if profile_id != path.stem:
        raise SceneError(
            f"voice id '{profile_id}' must match the file name '{path.stem}'",
            data.file,
            data.line_of("id"),
        )
    engine = _text(data, "engine")
    if engine not in ENGINES:
        raise SceneError(
            f"unknown voice engine '{engine}'; known engines: {', '.join(ENGINES)}",
            data.file,
            data.line_of("engine"),
        )
    speed = data.get("speed", 1.0)
    # bool is an int subclass; `speed: yes` is a mistake, not 1.0
    if isinstance(speed, bool) or not isinstance(speed, int | float):
        raise SceneError(
            f"'speed' must be a number, not {speed!r}", data.file, data.line_of("speed")
        )
    if not _SPEED_RANGE[0] <= speed <= _SPEED_RANGE[1]:
        raise SceneError(
            f"'speed' must be between {_SPEED_RANGE[0]} and {_SPEED_RANGE[1]}, not {speed}",
            data.file,
            data.line_of("speed"),
        )
    if "description" in data:
        _text(data, "description")
    fallback = _text(data, "fallback", optional=True)
    if fallback == profile_id:
        raise SceneError("a voice cannot fall back to itself", data.file, data.line_of("fallback"))
    profile = VoiceProfile(
        id=profile_id,
        engine=engine,
        voice=_text(data, "voice") or "",
        lang=_text(data, "lang") or "",
        speed=float(speed),
        fallback=fallback,
        file=str(path),
        line=data.line,
    )
    return profile, data.line_of("fallback")


def _check_fallbacks(
    profiles: dict[str, VoiceProfile], fallback_lines: dict[str, int], broken: set[str]
) -> list[SceneError]:
    errors: list[SceneError] = []
    for profile in profiles.values():
        if profile.fallback is None or profile.fallback in broken:
            continue  # a fallback into a file that failed to parse is already reported there
        line = fallback_lines[profile.id]
        if profile.fallback not in profiles:
            known = ", ".join(sorted(profiles))
            message = f"fallback '{profile.fallback}' is not a voice profile; known voices: {known}"
            errors.append(SceneError(message, profile.file, line))
            continue
        chain = [profile.id]
        current: str | None = profile.fallback
        while current is not None and current in profiles and current not in chain:
            chain.append(current)
            current = profiles[current].fallback
        # report only cycles through this profile, so each member's file names its own line
        if current == profile.id:
            cycle = " -> ".join([*chain, profile.id])
            errors.append(SceneError(f"voice fallbacks form a cycle: {cycle}", profile.file, line))
    return errors


def _collect(voices_dir: Path) -> tuple[dict[str, VoiceProfile], list[SceneError]]:
    profiles: dict[str, VoiceProfile] = {}
    fallback_lines: dict[str, int] = {}
    broken: set[str] = set()
    errors: list[SceneError] = []
    if not voices_dir.is_dir():
        return profiles, [SceneError("voices folder not found", voices_dir)]
    for path in sorted([*voices_dir.glob("*.yaml"), *voices_dir.glob("*.yml")]):
        try:
            profile, fallback_lines[path.stem] = _parse_profile(path)
        except SceneError as exc:
            errors.append(exc)
            broken.add(path.stem)
            continue
        profiles[profile.id] = profile
    errors.extend(_check_fallbacks(profiles, fallback_lines, broken))
    return profiles, errors


def validate_voice_profiles(voices_dir: Path) -> list[SceneError]:
    """Every problem in the voices folder, not only the first."""
    return _collect(voices_dir)[1]


def load_voice_profiles(voices_dir: Path) -> dict[str, VoiceProfile]:
    """Load `voices_dir/*.yaml` as profiles by id; the first problem raises SceneError."""
    profiles, errors = _collect(voices_dir)
    if errors:
        raise errors[0]
    return profiles


__all__ = ["ENGINES", "VoiceProfile", "load_voice_profiles", "validate_voice_profiles"]
