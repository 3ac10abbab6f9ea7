"""The job policy: which failures are retried, the backoff, what a logged reason may hold, limits."""

from __future__ import annotations

import time

import pytest
from web_support import wait_for_status

from smartvideo.errors import DataSourceError, LinkExpired, RenderError, TemplateDataError
from smartvideo.jobs.render_job import JobBusy, JobTimeLimit, RetryPolicy, failure_is_permanent, safe_reason


@pytest.mark.parametrize("exc, permanent", [
    (TemplateDataError("x"), True),
    (DataSourceError("x"), True),
    (LinkExpired("x"), True),
    (JobTimeLimit("x"), True),
    (RenderError("ffmpeg failed"), False),
    (OSError("disk"), False),
    (JobBusy("x"), False),
])
def test_data_errors_fail_at_once_and_ffmpeg_or_io_errors_are_retried(exc: Exception, permanent: bool) -> None:
    assert failure_is_permanent(exc) is permanent


def test_backoff_grows_exponentially_with_jitter_and_a_ceiling() -> None:
    policy = RetryPolicy(base_delay=2, max_delay=60)
    assert 1.6 <= policy.delay(0) <= 2.4 and 6.4 <= policy.delay(2) <= 9.6 and policy.delay(10) <= 72


def test_a_logged_reason_holds_no_customer_values_or_id() -> None:
    reason = safe_reason(TemplateDataError("scene.yaml:4: money amount must be a number, got 'Anna de Vries'"),
                         customer_id="C1001")
    assert reason == "TemplateDataError: scene.yaml:4: money amount must be a number, got '…'"
    assert safe_reason(DataSourceError("no customer C1001 in data.json"), "C1001") == \
        "DataSourceError: no customer … in data.json"
    assert safe_reason(KeyError("anna@example.com")) == "KeyError (internal error)"


def test_a_render_past_its_time_limit_ends_failed(web_config, make_link) -> None:  # noqa: ANN001
    from smartvideo.web.app_factory import create_app

    app = create_app({**web_config, "render_time_limit": 0})
    client = app.test_client()
    link = make_link(app)
    client.get(f"/v/{link.token}?device=lite")
    assert wait_for_status(client, link.token, {"ready", "failed"}, timeout=30)["status"] == "failed"
    from smartvideo.jobs.render_rows import get_render

    row = get_render(app.extensions["smartvideo"].engine, f"{link.id}.lite")
    assert "JobTimeLimit" in row.error
    app.extensions["smartvideo"].close()


def test_the_embedded_runner_sweeps_expired_videos_by_itself(web_config) -> None:  # noqa: ANN001
    import os

    from smartvideo.web.app_factory import create_app

    app = create_app({**web_config, "retention_days": 1})
    services = app.extensions["smartvideo"]
    old = services.config.videos_dir / "gone.lite" / "video.mp4"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"x")
    os.utime(old, (time.time() - 3 * 86400,) * 2)
    assert services.runner.name == "embedded"  # the runner starts its sweeper
    deadline = time.monotonic() + 10
    while old.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not old.exists()
    services.close()
