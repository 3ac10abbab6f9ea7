"""The exception tree: one base, each child names what went wrong.

The CLI and the web turn these into messages; anything else is a bug and is logged as one.
"""

from __future__ import annotations

from pathlib import Path


class SmartVideoError(Exception):
    """Base of every error SmartVideo reports to a user."""


class SceneError(SmartVideoError):
    """A scene, story, theme or voice file is wrong; carries the file and line."""

    def __init__(self, message: str, file: str | Path | None = None, line: int | None = None):
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        super().__init__(self.location_message())

    def location_message(self) -> str:
        if self.file is None:
            return self.message
        if self.line is None:
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}: {self.message}"


class ValidationFailed(SmartVideoError):
    """Several SceneErrors found at once (validate reports them all, not only the first)."""

    def __init__(self, errors: list[SceneError]):
        self.errors = errors
        super().__init__("\n".join(e.location_message() for e in errors))


class TemplateDataError(SmartVideoError):
    """Customer data does not fit a template: a required field is missing or has a wrong type."""


class DataSourceError(SmartVideoError):
    """A customer or store record cannot be read or found."""


class UnknownCustomer(DataSourceError):
    """No record for the customer id."""


class VoiceError(SmartVideoError):
    """Text to speech failed."""


class VoiceEngineUnavailable(VoiceError):
    """The engine cannot run here (not installed, no network for an online engine)."""


class RenderError(SmartVideoError):
    """ffmpeg or a drawing step failed to make the video."""


class LinkError(SmartVideoError):
    """A video link token is forged, altered or expired."""


class LinkExpired(LinkError):
    """A video link token was genuine but its time is over."""


def did_you_mean(word: str, choices: object) -> str:
    """' (did you mean 'x'?)' for the closest of `choices`, or '' when none is close."""
    import difflib

    close = difflib.get_close_matches(str(word), sorted(str(c) for c in choices), n=1)  # type: ignore[attr-defined]
    return f" (did you mean '{close[0]}'?)" if close else ""
