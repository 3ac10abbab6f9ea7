"""The Celery worker in scaled mode: a worker killed mid-render loses nothing; its job is taken over
by its lease (not the broker's 10-minute visibility timeout) and another worker finishes it."""

from __future__ import annotations

import time

import av
import pytest
from web_support import wait_for_status

from smartvideo.jobs.keys import VideoFiles, job_key


def _kill_mid_render(client, worker, token: str) -> None:  # noqa: ANN001
    """Click (square frame, an uncached personal scene: long enough) and SIGKILL the worker mid-render."""
    client.get(f"/v/{token}?device=square")
    wait_for_status(client, token, {"rendering"}, device="square", timeout=60)
    time.sleep(0.5)
    worker.kill()


@pytest.mark.slow
@pytest.mark.redis
def test_a_killed_workers_job_leaves_no_half_file_and_is_taken_over_by_its_lease_within_60_s(  # noqa: ANN001
        web_config, redis_url, worker_factory, make_link) -> None:
    from smartvideo.web.app_factory import create_app

    app = create_app({**web_config, "broker_url": redis_url})
    client = app.test_client()
    # The broker would redeliver only after 600 s: anything sooner is the lease takeover.
    link = make_link(app, customer="T4")
    _kill_mid_render(client, worker_factory(SMARTVIDEO_VISIBILITY_TIMEOUT="600"), link.token)

    files = VideoFiles.of(app.extensions["smartvideo"].config.videos_dir, job_key(link.id, "square"))
    assert not files.video.exists()  # nothing half-made under the name the player asks for
    assert client.get(f"/v/{link.token}/video.mp4?device=square").status_code == 404

    worker_factory(SMARTVIDEO_VISIBILITY_TIMEOUT="600")
    # The open page's polls notice the lease ran out (<= 15 s) and queue the job again.
    status = wait_for_status(client, link.token, {"ready", "failed"}, device="square", timeout=60)
    assert status["status"] == "ready"
    with av.open(str(files.video)) as container:
        assert container.duration / av.time_base > 2.0
    response = client.get(status["video"], headers={"Range": "bytes=100-199"})
    assert response.status_code == 206 and len(response.data) == 100
    assert client.post(f"/v/{link.token}/retry?device=square").get_json()["status"] == "ready"
    app.extensions["smartvideo"].close()


@pytest.mark.slow
def test_a_rendering_row_without_a_live_worker_is_taken_over_in_embedded_mode(embedded_app, make_link) -> None:  # noqa: ANN001
    from smartvideo.jobs import render_rows

    # What a server killed mid-render leaves behind: a `rendering` row and no lease (a new process).
    link = make_link(embedded_app, customer="T2")
    key = job_key(link.id, "lite")
    render_rows.mark_queued(embedded_app.extensions["smartvideo"].engine, key, link.id, link.story, "lite", None)
    render_rows.mark_rendering(embedded_app.extensions["smartvideo"].engine, key, progress=0.4)
    client = embedded_app.test_client()
    assert client.get(f"/v/{link.token}/status?device=lite").get_json()["status"] == "queued"
    assert wait_for_status(client, link.token, {"ready", "failed"}, timeout=90)["status"] == "ready"
