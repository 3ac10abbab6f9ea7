"""Where content, caches and outputs live: an explicit object built from defaults and environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path


def bundled_content_root() -> Path:
    """The scenes/templates/voices/assets/data shipped inside the wheel (or this checkout)."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "scenes" / "stories").is_dir() and (checkout / "pyproject.toml").is_file():
        return checkout
    return Path(str(resources.files("smartvideo.content")))


def find_content_root(explicit: str | Path | None = None) -> Path:
    """--root, else SMARTVIDEO_CONTENT_ROOT, else the current directory if it has scenes/stories,
    else the bundled content."""
    for candidate in (explicit, os.environ.get("SMARTVIDEO_CONTENT_ROOT")):
        if candidate:
            return Path(candidate).resolve()
    cwd = Path.cwd()
    if (cwd / "scenes" / "stories").is_dir():
        return cwd
    return bundled_content_root()


def default_data_dir() -> Path:
    """Where rendered videos, personal segments and the database live by default."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "smartvideo"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "smartvideo"


@dataclass(frozen=True, slots=True)
class RenderSettings:
    content_root: Path
    cache_dir: Path  # TTS and static segments (no personal data)
    work_dir: Path  # personalized segments and audio (personal data: retention applies)
    preset: str = "ultrafast"  # x264 preset (tuned in scene_encoder.X264_PARAMS)
    parallel: int = 2  # scene encodes at once
    video_encoder: str = "auto"  # auto (h264_nvenc where it works, else libx264) | libx264 | h264_nvenc

    @classmethod
    def from_env(cls, root: str | Path | None = None, cache_dir: str | Path | None = None) -> RenderSettings:
        """The CLI's settings, from the same SMARTVIDEO_* variables the web app and worker read, so
        personal segments land where `smartvideo cleanup` sweeps them."""
        data_dir = Path(os.environ.get("SMARTVIDEO_DATA_DIR") or default_data_dir())
        return cls(
            content_root=find_content_root(root),
            cache_dir=Path(cache_dir or os.environ.get("SMARTVIDEO_CACHE_DIR") or default_cache_dir()),
            work_dir=data_dir / "segments",
            preset=os.environ.get("SMARTVIDEO_X264_PRESET", "ultrafast"),
            parallel=int(os.environ.get("SMARTVIDEO_PARALLEL", "2")),
            video_encoder=os.environ.get("SMARTVIDEO_VIDEO_ENCODER", "auto"),
        )
