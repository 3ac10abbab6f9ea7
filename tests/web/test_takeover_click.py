"""A job taken over from a dead worker renders with the first click's context (its location), which
went to the dead worker with the lost message; the open page's polls carry none."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from smartvideo.config import load_config
from smartvideo.jobs import render_rows
from smartvideo.jobs.context import JobContext
from smartvideo.jobs.keys import RenderJob, job_key
from smartvideo.jobs.lifecycle import RenderJobs
from smartvideo.jobs.locks import LocalJobLocks, RedisJobLocks, click_name
from smartvideo.links import create_link
from smartvideo.render.devices import device_profile
from smartvideo.storage.database import upgrade_schema


class LostMessages:
    """A queue whose worker died: what is submitted is kept and never run (the real parts around
    it, locks, rows and links, are real)."""

    def __init__(self) -> None:
        self.jobs: list[RenderJob] = []

    def submit(self, job: RenderJob) -> None:
        self.jobs.append(job)

    def ping(self) -> bool:
        return True


@pytest.fixture(params=["local", "redis"])
def jobs(request: pytest.FixtureRequest, web_config: dict[str, Any]) -> RenderJobs:
    overrides = dict(web_config)
    if request.param == "redis":
        overrides["redis_url"] = request.getfixturevalue("redis_url")
    ctx = JobContext.from_config(load_config(overrides=overrides))
    upgrade_schema(ctx.engine)
    return RenderJobs(ctx, runner=LostMessages())


def test_a_takeover_renders_with_the_first_clicks_location(jobs: RenderJobs) -> None:
    assert isinstance(jobs.locks, (LocalJobLocks, RedisJobLocks))
    link = create_link(jobs.engine, jobs.config.secret_key, "tiny", "T1", dt.timedelta(days=1))
    device = device_profile("lite")
    assert jobs.start(link, device, click={"location": "52.0907,5.1214"})["status"] == "queued"
    key = job_key(link.id, device.name)
    # The worker took the message, wrote its row, and died: no run lock renews the lease.
    render_rows.mark_queued(jobs.engine, key, link.id, link.story, device.name, None)
    render_rows.mark_rendering(jobs.engine, key, progress=0.3)
    assert jobs.status(link, device)["status"] == "queued"  # the page's poll takes it over
    first, again = jobs.runner.jobs  # type: ignore[attr-defined]
    assert first.click == again.click == {"location": "52.0907,5.1214"}


def test_a_takeover_without_a_kept_click_plans_as_a_click_without_one(jobs: RenderJobs) -> None:
    link = create_link(jobs.engine, jobs.config.secret_key, "tiny", "T2", dt.timedelta(days=1))
    device = device_profile("lite")
    jobs.start(link, device)
    key = job_key(link.id, device.name)
    assert jobs.locks.recall(click_name(key)) is None
    render_rows.mark_queued(jobs.engine, key, link.id, link.story, device.name, None)
    render_rows.mark_rendering(jobs.engine, key)
    jobs.status(link, device)
    assert [job.click for job in jobs.runner.jobs] == [{}, {}]  # type: ignore[attr-defined]
