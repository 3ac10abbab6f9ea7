"""Runners hand a RenderJob to `run_render_job`: in this process (embedded) or via Celery (scaled)."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from smartvideo.jobs.context import JobContext
from smartvideo.jobs.keys import RenderJob
from smartvideo.jobs.render_job import RetryPolicy, after_failure, run_render_job
from smartvideo.jobs.retention import PeriodicSweep

log = logging.getLogger(__name__)


class JobRunner(Protocol):
    name: str

    def submit(self, job: RenderJob) -> None: ...
    def ping(self) -> bool: ...


class EmbeddedRunner:
    """A small thread pool in the web process running the very same task function as the worker.

    For one machine (`smartvideo serve`): no Redis, no separate worker. Retries follow the same
    policy as the Celery task; the retention sweep runs on a daemon thread.
    """

    name = "embedded"

    def __init__(self, ctx: JobContext, workers: int = 2, policy: RetryPolicy | None = None,
                 sweep: bool = True):
        self.ctx = ctx
        self.policy = policy or RetryPolicy()
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="render")
        self.sweeper = PeriodicSweep(ctx.config).start() if sweep else None
        self._timers: set[threading.Timer] = set()

    def submit(self, job: RenderJob) -> None:
        self.pool.submit(self._run, job)

    def _run(self, job: RenderJob) -> None:
        try:
            run_render_job(self.ctx, job)
        except Exception as exc:  # noqa: BLE001 - every failure is classified and recorded
            self._after_failure(job, exc)

    def _after_failure(self, job: RenderJob, exc: Exception) -> None:
        delay = after_failure(self.ctx, job, exc, self.policy)
        if delay is None:
            return
        retry = RenderJob(job.key, job.link_id, job.device, job.click, job.attempt + 1)
        timer = threading.Timer(delay, self._resubmit, args=(retry,))
        timer.daemon = True
        self._timers.add(timer)
        timer.start()

    def _resubmit(self, job: RenderJob) -> None:
        self._timers = {t for t in self._timers if t.is_alive()}
        self.submit(job)

    def ping(self) -> bool:
        return not self.pool._shutdown  # noqa: SLF001 - no public flag; a shut-down pool takes no work

    def shutdown(self, wait: bool = True) -> None:
        if self.sweeper:
            self.sweeper.stop()
        for timer in list(self._timers):
            timer.cancel()
        self.pool.shutdown(wait=wait, cancel_futures=not wait)


class CeleryRunner:
    """Enqueues the Celery task (scaled mode); the worker runs `run_render_job`."""

    name = "celery"

    def __init__(self, ctx: JobContext):
        from smartvideo.jobs.celery_app import make_celery

        self.ctx = ctx
        self.celery = make_celery(ctx.config)

    def submit(self, job: RenderJob) -> None:
        # The task id is the job key plus the attempt: one message per claimed job.
        self.celery.send_task("smartvideo.render", args=[job.as_message()], task_id=f"{job.key}:{job.attempt}")

    def ping(self) -> bool:
        with self.celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1)
            return bool(conn.connected)


def runner_for(ctx: JobContext) -> JobRunner:
    """Celery when a broker is configured, else the embedded runner."""
    return CeleryRunner(ctx) if ctx.config.broker_url else EmbeddedRunner(ctx)
