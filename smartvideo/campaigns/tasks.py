"""The campaign's Celery task (scaled mode): a thin shell around `fanout.send_chunk`.

Registered by the worker (`worker.py`); the run sends it by name, so the CLI needs no task code.
`acks_late`: a worker that dies mid-chunk has its message redelivered, and the claims make the
second delivery skip whoever the first one sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import Celery, Task
from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy.exc import SQLAlchemyError

from smartvideo.campaigns.fanout import TASK, ChunkTask, leftovers, send_chunk

# A chunk is a second or two of work; past this, something hangs (an SMTP server that accepts and
# never answers): the customers not begun go out again in a new task.
SOFT_TIME_LIMIT = 240


def register_campaign_tasks(app: Celery, context_for: Callable[[Celery], Any]) -> None:
    """Add the campaign task to the worker's app; `context_for(app)` is the process's JobContext."""
    from smartvideo.jobs.lifecycle import RenderJobs

    renders: dict[int, RenderJobs] = {}

    def renders_for() -> RenderJobs:
        ctx = context_for(app)
        if id(ctx) not in renders:  # a new pool process has a new context
            renders.clear()
            renders[id(ctx)] = RenderJobs(ctx)
        return renders[id(ctx)]

    # The database or the file share briefly gone: the same message again later (the claims make
    # a second go at a chunk safe); the retry policy is declared here, once.
    @app.task(name=TASK, bind=True, acks_late=True, soft_time_limit=SOFT_TIME_LIMIT,
              time_limit=SOFT_TIME_LIMIT + 30, autoretry_for=(SQLAlchemyError, OSError),
              retry_backoff=2, retry_backoff_max=60, max_retries=8)
    def campaign_chunk(self: Task, message: dict[str, Any]) -> dict[str, int]:
        task = ChunkTask.from_message(message)
        jobs = renders_for()
        try:
            return dict(send_chunk(jobs.config, jobs, task))
        except SoftTimeLimitExceeded:
            rest = leftovers(jobs.engine, task)
            if rest is not None:
                app.send_task(TASK, args=[rest.as_message()])
            return {"continued": len(rest.customers) if rest else 0}
