"""Click -> status -> MP4, in both modes: embedded (thread pool) and scaled (real Redis + Celery worker)."""

from __future__ import annotations

import json
import logging
import threading

import av
import pytest
from web_support import wait_for_status

from smartvideo.jobs import render_rows
from smartvideo.jobs.keys import job_key
from smartvideo.render.devices import PROFILES


def _decoded_duration(path) -> float:  # noqa: ANN001
    with av.open(str(path)) as container:
        return float(container.duration / av.time_base)


@pytest.mark.slow
def test_a_click_shows_the_page_at_once_then_status_then_the_mp4_with_range(app, make_link) -> None:  # noqa: ANN001
    client = app.test_client()
    link = make_link(app)
    page = client.get(f"/v/{link.token}?device=lite")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert 'id="player"' in html and 'src="/static/beacon.js" defer' in html
    assert f'"beaconUrl": "/v/{link.token}/beacon"' in html and '"device": "lite"' in html

    status = wait_for_status(client, link.token, {"ready", "failed"})
    assert status["status"] == "ready" and status["progress"] == 1.0, status
    assert status["video"] == f"/v/{link.token}/video.mp4?device=lite"

    partial = client.get(status["video"], headers={"Range": "bytes=0-1023"})
    assert partial.status_code == 206 and len(partial.data) == 1024
    assert partial.headers["Content-Type"] == "video/mp4" and partial.headers["Accept-Ranges"] == "bytes"
    assert partial.headers["Content-Range"].startswith("bytes 0-1023/")
    whole = client.get(status["video"])
    assert whole.status_code == 200 and "private" in whole.headers["Cache-Control"] and whole.headers["ETag"]
    assert client.get(status["video"], headers={"If-None-Match": whole.headers["ETag"]}).status_code == 304

    captions = client.get(status["captions"])
    assert captions.status_code == 200 and captions.data.startswith(b"WEBVTT")
    assert captions.headers["Content-Type"].startswith("text/vtt")

    services = app.extensions["smartvideo"]
    row = render_rows.get_render(services.engine, job_key(link.id, "lite"))
    assert row.status == "ready" and [s["id"] for s in row.scenes] == ["tiny_open", "tiny_hello"]
    assert abs(_decoded_duration(services.renders.video_path(link, PROFILES["lite"])) - row.duration) < 0.2


@pytest.mark.slow
def test_the_hls_stream_holds_every_scene_on_one_timeline(app, make_link) -> None:  # noqa: ANN001
    client = app.test_client()
    link = make_link(app, customer="T3")
    client.get(f"/v/{link.token}?device=lite")
    status = wait_for_status(client, link.token, {"ready", "failed"})
    playlist = client.get(status["playlist"])
    assert playlist.status_code == 200 and playlist.headers["Cache-Control"] == "no-store"
    text = playlist.get_data(as_text=True)
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in text and text.rstrip().endswith("#EXT-X-ENDLIST")
    segments = [line for line in text.splitlines() if line.startswith("s0")]
    assert segments == ["s000.ts?device=lite", "s001.ts?device=lite"]
    starts = []
    for name in segments:
        response = client.get(f"/v/{link.token}/hls/{name}")
        assert response.status_code == 200 and response.headers["Content-Type"] == "video/mp2t"
        path = app.extensions["smartvideo"].config.videos_dir / job_key(link.id, "lite") / "hls" / name.split("?")[0]
        with av.open(str(path)) as container:
            kinds = {s.type for s in container.streams}
            assert kinds == {"video", "audio"}
            starts.append(float(container.start_time / av.time_base))
    row = render_rows.get_render(app.extensions["smartvideo"].engine, job_key(link.id, "lite"))
    # Each segment starts where its scene starts (MPEG-TS adds a fixed offset to every segment alike).
    offset = starts[0] - row.scenes[0]["start"]
    assert abs(starts[1] - offset - row.scenes[1]["start"]) < 0.1


@pytest.mark.slow
def test_twenty_concurrent_clicks_start_one_render(app, make_link, caplog) -> None:  # noqa: ANN001
    caplog.set_level(logging.INFO, logger="smartvideo.jobs")
    services = app.extensions["smartvideo"]
    runner = services.runner
    submitted: list[str] = []
    real_submit = runner.submit
    runner.submit = lambda job: (submitted.append(job.key), real_submit(job))[1]  # count, then the real thing
    link = make_link(app, customer="T2")
    barrier = threading.Barrier(20)
    codes: list[int] = []

    def click() -> None:
        client = app.test_client()
        barrier.wait()
        codes.append(client.get(f"/v/{link.token}?device=lite").status_code)

    threads = [threading.Thread(target=click) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [200] * 20
    status = wait_for_status(app.test_client(), link.token, {"ready", "failed"})
    assert status["status"] == "ready"
    assert submitted == [job_key(link.id, "lite")]
    # A click after the video is made starts nothing either.
    app.test_client().get(f"/v/{link.token}?device=lite")
    assert len(submitted) == 1


def test_concurrent_start_render_calls_queue_one_job(embedded_app, make_link) -> None:  # noqa: ANN001
    services = embedded_app.extensions["smartvideo"]
    submitted: list[str] = []

    class CountingRunner:
        name = "counting"

        def submit(self, job) -> None:  # noqa: ANN001
            submitted.append(job.key)

        def ping(self) -> bool:
            return True

    services.renders._runner = CountingRunner()  # noqa: SLF001 - nothing renders: only the claim is under test
    link = make_link(embedded_app)
    barrier = threading.Barrier(20)
    results: list[dict] = []

    def start() -> None:
        barrier.wait()
        results.append(services.renders.start(link, PROFILES["portrait"]))

    threads = [threading.Thread(target=start) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(submitted) == 1 and {r["status"] for r in results} == {"queued"}


@pytest.mark.redis
def test_concurrent_start_render_calls_queue_one_job_with_redis_locks(web_config, redis_url, make_link) -> None:  # noqa: ANN001
    from smartvideo.render.devices import PROFILES
    from smartvideo.web.app_factory import create_app

    application = create_app({**web_config, "redis_url": redis_url})
    services = application.extensions["smartvideo"]
    assert type(services.locks).__name__ == "RedisJobLocks"
    submitted: list[str] = []
    counting = {"name": "counting", "submit": lambda self, job: submitted.append(job.key), "ping": lambda self: True}
    services.renders._runner = type("CountingRunner", (), counting)()  # noqa: SLF001 - only the claim is under test
    link = make_link(application)
    barrier = threading.Barrier(20)

    def start() -> None:
        barrier.wait()
        services.renders.start(link, PROFILES["square"])

    threads = [threading.Thread(target=start) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(submitted) == 1


@pytest.mark.slow
def test_a_failing_render_ends_failed_with_the_reason_logged_without_customer_data(app, make_link, caplog,  # noqa: ANN001
                                                                                   mode: str) -> None:
    caplog.set_level(logging.INFO)
    client = app.test_client()
    link = make_link(app, customer="BROKEN")
    client.get(f"/v/{link.token}?device=lite")
    status = wait_for_status(client, link.token, {"ready", "failed"})
    assert status["status"] == "failed" and "not a number" not in json.dumps(status)
    row = render_rows.get_render(app.extensions["smartvideo"].engine, job_key(link.id, "lite"))
    assert "TemplateDataError" in row.error and "tiny_hello.yaml" in row.error
    assert "not a number" not in row.error and "BROKEN" not in row.error and "Zed" not in row.error
    if mode == "embedded":
        logged = caplog.text
    else:
        folder = app.extensions["smartvideo"].config.data_dir.parent
        logged = "".join(p.read_text() for p in folder.glob("worker-*.log"))
    assert "failed after" in logged and "TemplateDataError" in logged
    assert "not a number" not in logged and "Zed" not in logged
    # The page offers a retry; retrying queues the job again (and it fails again, the same way).
    retried = client.post(f"/v/{link.token}/retry?device=lite")
    assert retried.status_code == 200 and retried.get_json()["status"] == "queued"
    assert wait_for_status(client, link.token, {"failed"})["status"] == "failed"
