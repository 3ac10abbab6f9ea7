"""A real headless Chromium watches part of a video on the player page; its beacons arrive and count."""

from __future__ import annotations

import subprocess

import pytest
from analytics_support import SCENES, SECRET, STORY, wait_until
from loopback import ServedApp
from sqlalchemy import func, select

from smartvideo.analytics.tables import events_table
from smartvideo.ffmpeg_exec import ffmpeg_binary
from smartvideo.jobs import render_rows
from smartvideo.jobs.keys import job_key
from smartvideo.links import create_link
from smartvideo.render.devices import PROFILES

pytestmark = pytest.mark.browser

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture
def live_server(app):  # noqa: ANN001, ANN201
    with ServedApp(app) as served:
        yield served.url


@pytest.fixture
def ready_link(app, tmp_path):  # noqa: ANN001, ANN201
    """A link whose 10 s landscape video is already made (a small real H.264 MP4 with the scenes)."""
    import datetime as dt

    services = app.extensions["smartvideo"]
    link = create_link(services.engine, SECRET, STORY, "C-browser", dt.timedelta(days=1), variant="A")
    key = job_key(link.id, "landscape")
    video = services.renders.files(link, PROFILES["landscape"]).video
    video.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            ffmpeg_binary(),
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x180:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440",
            "-t",
            "10",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            "-movflags",
            "+faststart",
            str(video),
        ],
        check=True,
    )
    render_rows.mark_queued(services.engine, key, link.id, link.story, "landscape", "A")
    render_rows.mark_ready(services.engine, key, 10.0, SCENES, "A")
    return link


def test_chromium_watching_part_of_a_video_is_counted(
    app,
    client,
    live_server,
    ready_link,
    chromium_path,  # noqa: ANN001
    tmp_path,
) -> None:
    from playwright.sync_api import sync_playwright

    key = {"X-Analyst-Key": app.extensions["smartvideo"].config.analyst_key}
    with sync_playwright() as pw:
        # a fresh profile per run (Playwright passes it as --user-data-dir); FLAGS' --headless is its own
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=chromium_path, headless=True, args=FLAGS[1:],
            bypass_csp=True,  # wait_for_function builds its predicate with eval, which the page's CSP refuses
        )
        page = browser.new_page()
        page.goto(f"{live_server}/v/{ready_link.token}?device=landscape")
        page.wait_for_function("document.getElementById('player').readyState >= 2", timeout=15000)
        # watch 0 to ~3.5 s, skip to 8 s, watch to the end
        page.evaluate("document.getElementById('player').play()")
        page.wait_for_function("document.getElementById('player').currentTime >= 3.5", timeout=15000)
        page.evaluate("(() => { const v = document.getElementById('player'); v.pause(); v.currentTime = 8; })()")
        page.wait_for_function("!document.getElementById('player').seeking", timeout=5000)
        page.evaluate("document.getElementById('player').play()")
        page.wait_for_function("document.getElementById('player').ended", timeout=15000)
        counted = page.evaluate("window.smartvideoBeacon.counted()")
        page.close(run_before_unload=True)  # page hide: the rest goes by navigator.sendBeacon
        browser.close()

    def report():  # noqa: ANN202
        data = client.get(f"/reports/{STORY}.json", headers=key).json
        return data if data["completion_rate"] == 1.0 else None

    data = wait_until(report)
    engine = app.extensions["smartvideo"].engine
    with engine.connect() as conn:
        stored = wait_until(
            lambda: (n := conn.execute(select(func.count()).select_from(events_table)).scalar_one()) == counted and n
        )
    assert stored == counted
    assert data["views"] == 1 and data["play_rate"] == 1.0
    retention = data["retention"]
    assert retention[:4] == [1.0, 1.0, 1.0, 1.0]
    assert retention[5:8] == [0.0, 0.0, 0.0]  # skipped
    assert retention[8:] == [1.0, 1.0]
    assert [s["id"] for s in data["scenes"]] == ["intro", "total", "cta"]
