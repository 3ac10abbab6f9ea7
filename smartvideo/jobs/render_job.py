"""The render task: the one function both runners call, plus the retry and failure policy.

Idempotent: a job whose video is already made returns at once; a run lock keeps two workers off
one job (a redelivered message after a worker died waits for the dead worker's lock to run out).
Nothing half-made is served: the renderer writes the MP4 under a temporary name and renames it.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from smartvideo.backoff import pause_after
from smartvideo.errors import LinkError, RenderError, SmartVideoError
from smartvideo.jobs import render_rows
from smartvideo.jobs.context import JobContext
from smartvideo.jobs.hls_writer import HlsWriter
from smartvideo.jobs.keys import RenderJob, VideoFiles
from smartvideo.jobs.locks import claim_name, run_lock_name
from smartvideo.links import link_by_id, links_table
from smartvideo.render.renderer import RenderRequest

log = logging.getLogger(__name__)

RUN_LOCK_TTL = 15.0  # seconds; refreshed every third of it while the job runs
# Where each renderer stage sits on the 0..1 progress bar the customer sees.
_STAGES = {"plan": (0.0, 0.15), "encode": (0.15, 0.9), "assemble": (0.9, 1.0), "done": (1.0, 1.0)}


class JobBusy(SmartVideoError):
    """Another worker holds this job's run lock; try again later."""


class JobTimeLimit(SmartVideoError):
    """The render ran past its time limit."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int = 2
    base_delay: float = 2.0
    max_delay: float = 60.0
    busy_retries: int = 40  # a dead worker's run lock runs out within RUN_LOCK_TTL

    def delay(self, attempt: int) -> float:
        """The pause before retry `attempt` + 1 (attempt counts from 0)."""
        return pause_after(attempt + 1, self.base_delay, cap=self.max_delay)


def claim_ttl(config_time_limit: int) -> float:
    """How long a queued/running job blocks a new one for its key (refreshed while running)."""
    return float(max(120, config_time_limit * 4))


def failure_is_permanent(exc: BaseException) -> bool:
    """Data and content errors fail the same way every time; ffmpeg and I/O trouble may pass."""
    if isinstance(exc, JobBusy):
        return False
    if isinstance(exc, (LinkError, JobTimeLimit)):
        return True
    return isinstance(exc, SmartVideoError) and not isinstance(exc, RenderError)


_QUOTED = re.compile(r"""'[^']*'|"[^"]*"|\{[^}]*\}""")


def safe_reason(exc: BaseException, customer_id: str | None = None) -> str:
    """The failure reason for logs and the renders row, without customer data.

    Our messages name fields and files; values they quote (`got 'abc'`) are cut out, and so is
    the customer id. Other exceptions may hold anything: only their class is kept.
    """
    if not isinstance(exc, SmartVideoError):
        return f"{type(exc).__name__} (internal error)"
    text = _QUOTED.sub("'…'", str(exc).splitlines()[0] if str(exc) else "")
    if customer_id:
        text = text.replace(customer_id, "…")
    return f"{type(exc).__name__}: {text}"[:300]


class _Heartbeat:
    """Keeps the run lock and the claim alive while a render runs (a dead worker's run out)."""

    def __init__(self, ctx: JobContext, job: RenderJob, owner: str):
        self.ctx, self.job, self.owner = ctx, job, owner
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"heartbeat-{job.key}", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_event.set()
        self.thread.join(timeout=2)

    def _run(self) -> None:
        while not self.stop_event.wait(RUN_LOCK_TTL / 3):
            try:
                self.ctx.locks.refresh(run_lock_name(self.job.key), self.owner, RUN_LOCK_TTL)
                self.ctx.locks.refresh(claim_name(self.job.key), self.job.key,
                                       claim_ttl(self.ctx.config.render_time_limit))
            except Exception:  # noqa: BLE001 - a missed beat is retried; the render goes on
                log.warning("job %s: heartbeat failed", self.job.key, exc_info=True)


class _ProgressWriter:
    """Maps renderer stages onto 0..1, writes at most ~4 times a second, enforces the time limit."""

    def __init__(self, ctx: JobContext, key: str, started: float):
        self.ctx, self.key, self.started = ctx, key, started
        self.last_write = 0.0
        self.limit = float(ctx.config.render_time_limit)

    def __call__(self, stage: str, done: float) -> None:
        if time.monotonic() - self.started > self.limit:
            raise JobTimeLimit(f"render ran past its time limit of {self.limit:.0f} s")
        low, high = _STAGES.get(stage, (0.0, 1.0))
        now = time.monotonic()
        if now - self.last_write >= 0.25 or done >= 1.0:
            self.last_write = now
            render_rows.set_progress(self.ctx.engine, self.key, low + (high - low) * done)


def run_render_job(ctx: JobContext, job: RenderJob) -> str:
    """Make the video for one job; returns its status. Raises on failure (the runner decides)."""
    owner = uuid.uuid4().hex
    if not ctx.locks.acquire(run_lock_name(job.key), owner, RUN_LOCK_TTL):
        raise JobBusy(f"job {job.key} is running elsewhere")
    try:
        files = VideoFiles.of(ctx.config.videos_dir, job.key)
        row = render_rows.get_render(ctx.engine, job.key)
        if row and row.status == "ready" and files.video.exists():
            return "ready"  # a duplicate delivery of a finished job
        link = link_by_id(ctx.engine, ctx.config.secret_key, job.link_id)
        if row is None:
            render_rows.mark_queued(ctx.engine, job.key, link.id, link.story, job.device, link.variant)
        render_rows.mark_rendering(ctx.engine, job.key)
        started = time.monotonic()
        log.info("job %s: rendering (attempt %d)", job.key, job.attempt + 1)
        with _Heartbeat(ctx, job, owner):
            files.folder.mkdir(parents=True, exist_ok=True)
            result = ctx.renderer.render(
                RenderRequest(story=link.story, customer=link.customer_id, output=files.video.resolve(),
                              device=job.device, variant=link.variant, click=job.click),
                progress=_ProgressWriter(ctx, job.key, started),
                scene_sink=HlsWriter(files.hls_dir, ctx.renderer.settings.cache_dir),
                plan_listener=lambda facts: render_rows.set_plan_facts(
                    ctx.engine, job.key, facts.variant, facts.story_version, facts.duration,
                    list(facts.scenes) if facts.scenes is not None else None),
            )
        plan = result.plan
        render_rows.mark_ready(ctx.engine, job.key, plan.duration, plan.scene_bounds(), plan.variant)
        log.info("job %s: ready in %.1f s (%d scenes, %d from cache)", job.key, time.monotonic() - started,
                 len(plan.scenes), result.segments_reused)
        return "ready"
    except BaseException:
        try:
            render_rows.mark_waiting(ctx.engine, job.key)  # while the run lock is still ours
        except Exception:  # noqa: BLE001 - the render's own failure is the one to report
            log.warning("job %s: could not mark the row waiting", job.key, exc_info=True)
        raise
    finally:
        ctx.locks.release(run_lock_name(job.key), owner)


def after_failure(ctx: JobContext, job: RenderJob, exc: BaseException, policy: RetryPolicy) -> float | None:
    """The one retry decision, for both runners: the delay before the next attempt (recorded), or
    None when the job has failed for good (recorded, claim freed)."""
    limit = policy.busy_retries if isinstance(exc, JobBusy) else policy.max_retries
    if isinstance(exc, JobBusy) and job.attempt >= limit:
        # A duplicate delivery (the broker's redelivery of a job another worker took over): the
        # holder of the run lock finishes it, or the status path takes it over if that one dies.
        log.info("job %s: still running elsewhere; duplicate message dropped", job.key)
        return None
    if failure_is_permanent(exc) or job.attempt >= limit:
        record_failure(ctx, job, exc)
        return None
    delay = 1.0 if isinstance(exc, JobBusy) else policy.delay(job.attempt)
    record_retry(ctx, job, exc, delay)
    return delay


def record_retry(ctx: JobContext, job: RenderJob, exc: BaseException, delay: float) -> None:
    if not isinstance(exc, JobBusy):
        log.warning("job %s: attempt %d failed, retrying in %.0f s: %s", job.key, job.attempt + 1, delay,
                    safe_reason(exc, _customer_of(ctx, job)))
        render_rows.set_progress(ctx.engine, job.key, 0.0)


def record_failure(ctx: JobContext, job: RenderJob, exc: BaseException) -> None:
    """The job has failed for good: the row says why (no customer data) and the claim is freed."""
    reason = safe_reason(exc, _customer_of(ctx, job))
    log.error("job %s: failed after %d attempt(s): %s", job.key, job.attempt + 1, reason)
    try:
        render_rows.mark_failed(ctx.engine, job.key, reason)
    finally:
        ctx.locks.release(claim_name(job.key))


def _customer_of(ctx: JobContext, job: RenderJob) -> str | None:
    """The customer id, only to cut it out of messages (read directly: the link may have expired)."""
    try:
        with ctx.engine.connect() as conn:
            return conn.execute(select(links_table.c.customer_id)
                                .where(links_table.c.id == job.link_id)).scalar_one_or_none()
    except Exception:  # noqa: BLE001 - redaction must not turn one failure into another
        return None
