"""Retention: rendered videos and personal segments hold personal data and are deleted in time.

Cached static segments hold none and stay. The voice cache holds spoken personal lines (names,
amounts) next to static ones and cannot tell them apart: lines older than the retention period
go, and the static ones are simply spoken again on next use. The render rows stay too (story,
device, duration, scene bounds: what analytics needs, nothing personal); a click on a still-valid
link after the sweep renders the video again.
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from smartvideo.config import AppConfig

log = logging.getLogger(__name__)

PARTIAL_GRACE = 6 * 3600  # leftovers of a killed render (*.partial*) older than this go too


@dataclass(frozen=True, slots=True)
class SweepResult:
    videos: int
    personal_files: int
    partial_files: int

    def as_dict(self) -> dict[str, int]:
        return {"videos": self.videos, "personal_files": self.personal_files, "partial_files": self.partial_files}


def _newest_mtime(folder: Path) -> float:
    times = [p.stat().st_mtime for p in folder.rglob("*") if p.is_file()]
    return max(times, default=folder.stat().st_mtime)


def sweep(config: AppConfig, now: float | None = None) -> SweepResult:
    """Delete video folders, personal segments/audio and voice lines untouched for `retention_days`."""
    now = time.time() if now is None else now
    cutoff = now - config.retention_days * 86400
    videos = personal = partial = 0
    if config.videos_dir.is_dir():
        for folder in config.videos_dir.iterdir():
            if folder.is_dir() and _newest_mtime(folder) < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                videos += 1
            elif folder.is_dir():
                partial += _remove_partials(folder, now)
    work = config.render_settings().work_dir
    if work.is_dir():
        for path in list(work.rglob("*")):
            if not path.is_file():
                continue
            mtime = path.stat().st_mtime
            if mtime < cutoff or (".partial" in path.name and mtime < now - PARTIAL_GRACE):
                path.unlink(missing_ok=True)
                personal += 1
    voice = config.render_settings().cache_dir / "voice"
    if voice.is_dir():
        for path in voice.glob("*.wav"):
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                personal += 1
    result = SweepResult(videos, personal, partial)
    if videos or personal or partial:
        log.info("retention sweep (older than %s days): %s", config.retention_days, result.as_dict())
    return result


def _remove_partials(folder: Path, now: float) -> int:
    count = 0
    for path in folder.rglob("*.partial*"):
        if path.is_file() and path.stat().st_mtime < now - PARTIAL_GRACE:
            path.unlink(missing_ok=True)
            count += 1
    return count


def sweep_interval(config: AppConfig) -> float:
    """How often the runners sweep: hourly, or more often for very short retention periods."""
    return max(10.0, min(3600.0, config.retention_days * 86400 / 10))


class PeriodicSweep:
    """A daemon thread that sweeps every `sweep_interval` (embedded runner and each worker)."""

    def __init__(self, config: AppConfig):
        import threading

        self.config = config
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="retention-sweep", daemon=True)

    def start(self) -> PeriodicSweep:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()

    def _run(self) -> None:
        while True:
            try:
                sweep(self.config)
            except Exception:  # noqa: BLE001 - a failed sweep is logged and tried again later
                log.exception("retention sweep failed")
            if self.stop_event.wait(sweep_interval(self.config)):
                return
