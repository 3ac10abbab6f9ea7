"""Names of a render job and of the files it makes; opaque (link id + device, no personal data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def job_key(link_id: str, device: str) -> str:
    """One video per link and device: the key of its job, lock, row and folder."""
    return f"{link_id}.{device}"


@dataclass(frozen=True, slots=True)
class RenderJob:
    """What a runner needs to make one video; carries ids only, never customer data."""

    key: str
    link_id: str
    device: str
    click: dict[str, Any] = field(default_factory=dict)
    attempt: int = 0

    def as_message(self) -> dict[str, Any]:
        return {"key": self.key, "link_id": self.link_id, "device": self.device, "click": dict(self.click),
                "attempt": self.attempt}

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> RenderJob:
        return cls(key=message["key"], link_id=message["link_id"], device=message["device"],
                   click=dict(message.get("click") or {}), attempt=int(message.get("attempt", 0)))


@dataclass(frozen=True, slots=True)
class VideoFiles:
    """Where one job's outputs live under the videos folder."""

    folder: Path

    @classmethod
    def of(cls, videos_dir: Path, key: str) -> VideoFiles:
        return cls(videos_dir / key)

    @property
    def video(self) -> Path:
        return self.folder / "video.mp4"

    @property
    def captions(self) -> Path:
        return self.folder / "video.vtt"

    @property
    def player(self) -> Path:
        return self.folder / "video.player.json"

    @property
    def hls_dir(self) -> Path:
        return self.folder / "hls"

    @property
    def playlist(self) -> Path:
        return self.hls_dir / "index.m3u8"
