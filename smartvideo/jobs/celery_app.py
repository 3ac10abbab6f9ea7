"""The Celery app for scaled mode: one task, a thin shell around `run_render_job`.

`acks_late` because the task is idempotent (a finished job returns at once, the output appears
only complete): a message whose worker dies mid-render is redelivered to another worker after
the broker's visibility timeout. Soft and hard time limits bound a stuck render.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery, Task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_init, worker_ready

from smartvideo.config import AppConfig, load_config

log = logging.getLogger(__name__)


def visibility_timeout(config: AppConfig) -> int:
    """Seconds before an unacknowledged message goes to another worker; longer than any render.

    SMARTVIDEO_VISIBILITY_TIMEOUT overrides it (tests use a short one to see redelivery quickly).
    """
    configured = os.environ.get("SMARTVIDEO_VISIBILITY_TIMEOUT")
    return int(configured) if configured else max(600, config.render_time_limit * 2)


def transport_options(config: AppConfig) -> dict[str, int]:
    timeout = visibility_timeout(config)
    # kombu scans for expired unacknowledged messages every interval x throttle seconds (100 s by
    # default); scan every few seconds instead so a dead worker's job moves on soon after the
    # timeout. The scan is one sorted-set range query.
    return {"visibility_timeout": timeout, "unacked_restore_interval": max(1, min(10, timeout // 2)),
            "unacked_restore_throttle": 1}


def make_celery(config: AppConfig) -> Celery:
    app = Celery("smartvideo", broker=config.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,  # a killed pool process requeues its message
        worker_prefetch_multiplier=1,  # renders are long: do not hoard messages
        task_soft_time_limit=config.render_time_limit,
        task_time_limit=config.render_time_limit + 30,
        task_ignore_result=True,  # status lives in the renders table, not a result backend
        task_serializer="json",
        accept_content=["json"],
        broker_transport_options=transport_options(config),
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    app.conf.smartvideo_config = config
    _register_tasks(app)
    return app


_contexts: dict[int, Any] = {}


def job_context(app: Celery):  # noqa: ANN201
    """One JobContext per worker process (engine, locks, renderer), made on first use."""
    from smartvideo.jobs.context import JobContext

    key = os.getpid()  # after a fork, a new process gets its own engine and connections
    if key not in _contexts:
        _contexts[key] = JobContext.from_config(app.conf.smartvideo_config)
    return _contexts[key]


def _register_tasks(app: Celery) -> None:
    from smartvideo.jobs.keys import RenderJob
    from smartvideo.jobs.render_job import JobTimeLimit, RetryPolicy, after_failure, record_failure, run_render_job

    policy = RetryPolicy()

    @app.task(name="smartvideo.render", bind=True, acks_late=True, max_retries=None)
    def render(self: Task, message: dict[str, Any]) -> str:
        ctx = job_context(app)
        job = RenderJob.from_message(message)
        job = RenderJob(job.key, job.link_id, job.device, job.click, self.request.retries)
        try:
            return run_render_job(ctx, job)
        except SoftTimeLimitExceeded:
            record_failure(ctx, job, JobTimeLimit("render ran past its soft time limit"))
            return "failed"
        except Exception as exc:  # noqa: BLE001 - classified: retry with backoff or fail for good
            delay = after_failure(ctx, job, exc, policy)
            if delay is None:
                return "failed"
            raise self.retry(countdown=delay, exc=exc) from None


@worker_ready.connect
def _start_sweep(sender: Any = None, **_: Any) -> None:
    """Each worker sweeps expired videos periodically (deleting is idempotent)."""
    app = getattr(sender, "app", None)
    config = getattr(getattr(app, "conf", None), "smartvideo_config", None)
    if config is not None:
        from smartvideo.jobs.retention import PeriodicSweep

        PeriodicSweep(config).start()
        from smartvideo.nba.outcomes import start_learner

        ctx = job_context(app)  # type: ignore[arg-type]
        start_learner(ctx.engine, ctx.renderer.library)  # off the request path; safe on many workers


@worker_process_init.connect
def _fresh_process(**_: Any) -> None:
    _contexts.clear()  # connections are not shared across a fork


def celery_from_environment() -> Celery:
    """The worker's app: config from SMARTVIDEO_* variables and an optional SMARTVIDEO_CONFIG file."""
    config = load_config()
    if not config.broker_url:
        from smartvideo.config import ConfigError

        raise ConfigError("SMARTVIDEO_BROKER_URL is not set; the Celery worker needs a broker "
                          "(or run `smartvideo serve` for the embedded runner)")
    return make_celery(config)
