"""A video's life as a job, in one place for the web app, the CLI and campaigns.

claim -> queued -> rendering (progress) -> ready | failed, per (link, device). `RenderJobs.start`
is the one way anything becomes a job: at most one job per (link, device), however many clicks
arrive at once, because only the caller that wins the claim (SET NX in Redis, or the in-process
lock in embedded mode) submits it. Nothing here imports Flask.

A dead worker's job is taken over by the next status check or click: a row says `rendering` only
while a worker holds the job's run lock, a lease of RUN_LOCK_TTL (15 s) its heartbeat renews every
5 s. A `rendering` row without that lease belongs to a worker that died (SIGKILL, lost machine):
the job is queued again at once, one submitter winning a short takeover lock. The broker's own
redelivery (after the visibility timeout) finds the video made, or the run lock held, and drops.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

from smartvideo.config import AppConfig
from smartvideo.jobs import render_rows
from smartvideo.jobs.context import JobContext
from smartvideo.jobs.keys import RenderJob, VideoFiles, job_key
from smartvideo.jobs.locks import JobLocks, claim_name, click_name, run_lock_name, takeover_name
from smartvideo.jobs.render_job import RUN_LOCK_TTL, claim_ttl
from smartvideo.jobs.runners import JobRunner, runner_for
from smartvideo.links import Link
from smartvideo.nba.adaptive_links import AdaptiveVariants
from smartvideo.nba.engine import DecisionEngine
from smartvideo.render.plan import DeviceProfile
from smartvideo.render.renderer import Renderer

ACTIVE = ("queued", "rendering")
log = logging.getLogger(__name__)


class RenderJobs:
    """Starts, follows and finds the videos of links; one per process (web app, CLI, campaign)."""

    def __init__(self, ctx: JobContext, runner: JobRunner | None = None):
        self.ctx = ctx
        self._runner = runner
        self._runner_lock = threading.Lock()
        self._decisions: DecisionEngine | None = None
        self._variants: AdaptiveVariants | None = None
        self._content_root: Path | None = None

    @classmethod
    def from_config(cls, config: AppConfig, runner: JobRunner | None = None) -> RenderJobs:
        return cls(JobContext.from_config(config), runner)

    @property
    def config(self) -> AppConfig:
        return self.ctx.config

    @property
    def engine(self):  # noqa: ANN201 - sqlalchemy Engine
        return self.ctx.engine

    @property
    def locks(self) -> JobLocks:
        return self.ctx.locks

    @property
    def renderer(self) -> Renderer:
        return self.ctx.renderer

    @property
    def decisions(self) -> DecisionEngine:
        """The next-best-action engine for decision links; made on first use."""
        if self._decisions is None:
            with self._runner_lock:
                if self._decisions is None:
                    self._decisions = DecisionEngine.from_renderer(self.engine, self.renderer)
        return self._decisions

    @property
    def variants(self) -> AdaptiveVariants:
        """Adaptive variants at the click; reads only the story's file, never builds the library."""
        if self._variants is None:
            with self._runner_lock:
                if self._variants is None:
                    self._variants = AdaptiveVariants(self.engine, self.content_root)
        return self._variants

    @property
    def content_root(self) -> Path:
        """The content folder, found once as the renderer finds it, without loading the library."""
        if self._content_root is None:
            self._content_root = self.config.render_settings().content_root
        return self._content_root

    @property
    def runner(self) -> JobRunner:
        """Celery when a broker is configured, else the embedded thread pool; made on first use."""
        if self._runner is None:
            with self._runner_lock:
                if self._runner is None:
                    self._runner = runner_for(self.ctx)
        return self._runner

    @property
    def mode(self) -> str:
        return "scaled" if self.config.broker_url else "embedded"

    def files(self, link: Link, device: DeviceProfile) -> VideoFiles:
        return VideoFiles.of(self.config.videos_dir, job_key(link.id, device.name))

    def start(self, link: Link, device: DeviceProfile, click: dict[str, Any] | None = None,
              retry: bool = False) -> dict[str, Any]:
        """Queue the video for (link, device) unless it is made, being made, or failed (then only
        when `retry`). Returns the status dict. Safe to call from many clicks at once."""
        if link.undecided:  # a decision link: its story is chosen at this first click and kept
            link = self.decisions.choose_for_link(link, self.config.secret_key, device=device.name)
        if link.variant is None:  # a story with `allocation: adaptive` picks it now (Thompson sampling)
            link = self.variants.choose_for_link(link, self.config.secret_key)
        key = job_key(link.id, device.name)
        row = render_rows.get_render(self.engine, key)
        if row is not None and self._worker_died(row):
            return self._take_over(row, link, device, click)
        if row is not None:
            made = row.status == "ready" and self.files(link, device).video.exists()
            running = row.status in ACTIVE and self.locks.held(claim_name(key))
            if made or running or (row.status == "failed" and not retry):
                return self._status_of(row, link, device)
        if not self.locks.acquire(claim_name(key), key, claim_ttl(self.config.render_time_limit)):
            return self.status(link, device)  # another click won the claim and queues it
        if row is not None:  # a retry or a swept video: the old row must not say failed/ready
            render_rows.mark_queued(self.engine, key, link.id, link.story, device.name, link.variant)
        # A first click writes no SQL: the claim says "queued" and the job writes the row. This
        # keeps the click path free of database write locks (SQLite's busy wait sleeps).
        if click:  # kept beside the claim: a takeover after a dead worker renders with it too
            self.locks.remember(click_name(key), json.dumps(dict(click)), claim_ttl(self.config.render_time_limit))
        self.runner.submit(RenderJob(key=key, link_id=link.id, device=device.name, click=dict(click or {})))
        return {"status": "queued", "progress": 0.0, "playlist": False}

    def status(self, link: Link, device: DeviceProfile) -> dict[str, Any]:
        """{"status": queued|rendering|ready|failed, "progress": 0..1, "playlist": bool, ...}."""
        row = render_rows.get_render(self.engine, job_key(link.id, device.name))
        if row is None:
            return {"status": "queued", "progress": 0.0, "playlist": False}
        if self._worker_died(row):
            return self._take_over(row, link, device, None)
        return self._status_of(row, link, device)

    def _worker_died(self, row: render_rows.RenderRow) -> bool:
        """A `rendering` row whose run lock (the worker's lease) ran out."""
        return row.status == "rendering" and not self.locks.held(run_lock_name(row.id))

    def _take_over(self, row: render_rows.RenderRow, link: Link, device: DeviceProfile,
                   click: dict[str, Any] | None) -> dict[str, Any]:
        """Queue a dead worker's job again; of several web processes noticing it, one submits."""
        if self.locks.acquire(takeover_name(row.id), "takeover", RUN_LOCK_TTL):
            log.warning("job %s: its worker stopped renewing the lease; queued again", row.id)
            render_rows.mark_queued(self.engine, row.id, link.id, link.story, device.name, link.variant)
            self.locks.acquire(claim_name(row.id), row.id, claim_ttl(self.config.render_time_limit))
            # The click's context (location) went with the lost message: the first click's, kept
            # beside the claim, else this request's.
            kept = self.locks.recall(click_name(row.id))
            context = json.loads(kept) if kept else dict(click or {})
            self.runner.submit(RenderJob(key=row.id, link_id=link.id, device=device.name, click=context))
        return {"status": "queued", "progress": 0.0, "playlist": False}

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

    def wait(self, link: Link, device: DeviceProfile, timeout: float, poll: float = 0.2) -> dict[str, Any]:
        """Follow a started job until it is ready or failed, or `timeout` seconds pass."""
        deadline = time.monotonic() + timeout
        status = self.status(link, device)
        while status["status"] in ACTIVE and time.monotonic() < deadline:
            time.sleep(poll)
            status = self.status(link, device)
        return status

    def video_path(self, link: Link, device: DeviceProfile) -> Path | None:
        """The finished MP4, or None while it is not made."""
        path = self.files(link, device).video
        return path if path.is_file() else None

    def close(self) -> None:
        shutdown = getattr(self._runner, "shutdown", None)
        if shutdown:
            shutdown(wait=False)
