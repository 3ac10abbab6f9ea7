"""What the views share, made once per app: config, SQL engine, job locks, runner, renderer.

`start_render` is the one way a click becomes a job: at most one job per (link, device), however
many clicks arrive at once, because only the caller that wins the claim (SET NX in Redis, or the
in-process lock in embedded mode) queues it.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

from flask import current_app

from smartvideo.config import AppConfig
from smartvideo.errors import LinkExpired
from smartvideo.jobs import render_rows
from smartvideo.jobs.context import JobContext
from smartvideo.jobs.keys import RenderJob, VideoFiles, job_key
from smartvideo.jobs.locks import claim_name
from smartvideo.jobs.render_job import claim_ttl
from smartvideo.jobs.runners import JobRunner, runner_for
from smartvideo.links import Link, resolve_link
from smartvideo.render.plan import DeviceProfile
from smartvideo.render.renderer import Renderer

LINK_CACHE_SIZE = 50_000
LINK_CACHE_SECONDS = 60.0


class Services:
    def __init__(self, config: AppConfig, runner: JobRunner | None = None):
        self.config = config
        self.jobs = JobContext.from_config(config)
        self.engine = self.jobs.engine
        self._runner = runner
        self._runner_lock = threading.Lock()
        self._links: dict[str, tuple[Link, float]] = {}

    # ---- shared parts -----------------------------------------------------------------------

    @property
    def renderer(self) -> Renderer:
        """The process's renderer, made on first use (embedded jobs and previews share it)."""
        return self.jobs.renderer

    @property
    def locks(self):  # noqa: ANN201 - JobLocks
        return self.jobs.locks

    @property
    def runner(self) -> JobRunner:
        if self._runner is None:
            with self._runner_lock:
                if self._runner is None:
                    self._runner = runner_for(self.jobs)
        return self._runner

    @property
    def mode(self) -> str:
        return "scaled" if self.config.broker_url else "embedded"

    # ---- links and jobs ---------------------------------------------------------------------

    def link_for_token(self, token: str) -> Link:
        """The link behind a token; LinkError (forged, unknown) or LinkExpired.

        Genuine links are remembered in this process for LINK_CACHE_SECONDS (expiry is checked on
        every call): a viewer's page, status polls and media requests cost one SQL lookup, and a
        link deleted from the database stops working within that time.
        """
        now = time.monotonic()
        cached = self._links.get(token)
        if cached is None or cached[1] < now:
            link = resolve_link(self.engine, self.config.secret_key, token)
            if len(self._links) >= LINK_CACHE_SIZE:
                self._links.clear()  # crude but bounded; a miss costs one indexed lookup
            self._links[token] = (link, now + LINK_CACHE_SECONDS)
            return link
        link = cached[0]
        if dt.datetime.now(dt.UTC) >= link.expires_at:
            raise LinkExpired("link expired")
        return link

    def files(self, link: Link, device: DeviceProfile) -> VideoFiles:
        return VideoFiles.of(self.config.videos_dir, job_key(link.id, device.name))

    def start_render(self, link: Link, device: DeviceProfile, click: dict[str, Any] | None = None,
                     retry: bool = False) -> dict[str, Any]:
        """Queue the video for (link, device) unless it is made, being made, or failed (then only
        when `retry`). Returns the status dict. Safe to call from many clicks at once."""
        key = job_key(link.id, device.name)
        row = render_rows.get_render(self.engine, key)
        if row is not None:
            made = row.status == "ready" and self.files(link, device).video.exists()
            running = row.status in ("queued", "rendering") and self.locks.held(claim_name(key))
            if made or running or (row.status == "failed" and not retry):
                return self._status_of(row, link, device)
        if not self.locks.acquire(claim_name(key), key, claim_ttl(self.config.render_time_limit)):
            return self.render_status(link, device)  # another click won the claim and queues it
        if row is not None:  # a retry or a swept video: the old row must not say failed/ready
            render_rows.mark_queued(self.engine, key, link.id, link.story, device.name, link.variant)
        # A first click writes no SQL: the claim says "queued" and the job writes the row. This
        # keeps the click path free of database write locks (SQLite's busy wait sleeps).
        self.runner.submit(RenderJob(key=key, link_id=link.id, device=device.name, click=dict(click or {})))
        return {"status": "queued", "progress": 0.0, "playlist": False}

    def render_status(self, link: Link, device: DeviceProfile) -> dict[str, Any]:
        """{"status": queued|rendering|ready|failed, "progress": 0..1, "playlist": bool, ...}."""
        row = render_rows.get_render(self.engine, job_key(link.id, device.name))
        if row is None:
            return {"status": "queued", "progress": 0.0, "playlist": False}
        return self._status_of(row, link, device)

    def _status_of(self, row: render_rows.RenderRow, link: Link, device: DeviceProfile) -> dict[str, Any]:
        files = self.files(link, device)
        status = row.status
        if status == "ready" and not files.video.exists():
            status = "queued"  # swept by retention: the next click renders it again
        result: dict[str, Any] = {"status": status, "progress": 1.0 if status == "ready" else row.progress,
                                  "playlist": status in ("rendering", "ready") and files.playlist.exists()}
        if row.duration is not None and status == "ready":
            result["duration"] = row.duration
        if status == "failed":
            result["error"] = "We could not prepare this video."  # the reason is in the logs, not here
        return result

    def video_path(self, link: Link, device: DeviceProfile) -> Path | None:
        """The finished MP4, or None while it is not made."""
        path = self.files(link, device).video
        return path if path.is_file() else None

    # ---- health -----------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """Each part answers or says why not: SQL, locks (Redis in scaled mode), the runner, disk."""
        from sqlalchemy import text

        checks: dict[str, Any] = {}
        for name, probe in (("database", lambda: self._probe_sql(text)), ("locks", self.locks.ping),
                            ("queue", self.runner.ping), ("media", self._probe_media)):
            try:
                checks[name] = "ok" if probe() else "failing"
            except Exception as exc:  # noqa: BLE001 - a health check reports, it does not raise
                checks[name] = f"failing: {type(exc).__name__}"
        return {"status": "ok" if all(v == "ok" for v in checks.values()) else "failing", "mode": self.mode,
                "checks": checks}

    def _probe_sql(self, text: Any) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT 1")).scalar_one() == 1

    def _probe_media(self) -> bool:
        self.config.videos_dir.mkdir(parents=True, exist_ok=True)
        return self.config.videos_dir.is_dir()

    def close(self) -> None:
        shutdown = getattr(self._runner, "shutdown", None)
        if shutdown:
            shutdown(wait=False)


def services() -> Services:
    """The current app's Services."""
    return current_app.extensions["smartvideo"]
