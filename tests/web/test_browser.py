"""End to end in a real headless Chromium, with the page's CSP enforced: the video plays, a reload
during the render keeps going, a killed worker's job reaches the open page, the call to action is a
real link counted once, chapters and the transcript work from the keyboard, axe finds no serious
accessibility violation.
"""

from __future__ import annotations

import time

import pytest
from loopback import ServedApp
from sqlalchemy import func, select
from web_support import wait_for_status

from smartvideo.bench.browser import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PLAYING = "document.getElementById('player').currentTime > 0.5"


def _open(browser, url: str):  # noqa: ANN001, ANN202
    """A page that records its script errors (`page.errors`)."""
    page = browser.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto(url)
    return page


def test_the_page_loads_and_the_video_plays_in_chromium(browser, embedded_app, make_link) -> None:  # noqa: ANN001
    link = make_link(embedded_app, customer="T5")
    with ServedApp(embedded_app) as served:
        page = _open(browser, f"{served.url}/v/{link.token}?device=lite")
        codecs = page.evaluate("MediaSource.isTypeSupported('video/mp4; codecs=\"avc1.640028,mp4a.40.2\"')")
        assert codecs, "this Chromium cannot play H.264/AAC"
        assert page.evaluate("window.smartvideo.beaconUrl") == f"/v/{link.token}/beacon"
        wait_for(page, PLAYING, 90_000)
        assert page.evaluate("document.getElementById('player').currentSrc")  # HLS (blob:) or the MP4
        assert page.errors == []


def test_reloading_during_the_render_keeps_going_to_a_playing_video(browser, embedded_app, make_link) -> None:  # noqa: ANN001
    link = make_link(embedded_app, customer="T4")
    client = embedded_app.test_client()
    with ServedApp(embedded_app) as served:
        page = _open(browser, f"{served.url}/v/{link.token}?device=lite")
        wait_for_status(client, link.token, {"rendering", "ready"}, timeout=90)
        page.reload()  # the page now embeds a status with a stream: it must play it, not freeze
        wait_for(page, PLAYING, 90_000)
        wait_for_status(client, link.token, {"ready"}, timeout=90)
        page.reload()  # and once made: the MP4
        wait_for(page, PLAYING, 30_000)
        assert page.evaluate("document.getElementById('player').currentSrc").endswith("video.mp4?device=lite")
        assert page.errors == []


def test_the_cta_is_a_real_link_counted_once_and_chapters_transcript_work_by_keyboard(  # noqa: ANN001
        browser, embedded_app, make_link) -> None:
    from axe_playwright_python.sync_playwright import Axe

    from smartvideo.analytics.tables import events_table

    link = make_link(embedded_app, customer="T1")
    client = embedded_app.test_client()
    client.get(f"/v/{link.token}?device=lite")
    wait_for_status(client, link.token, {"ready"}, timeout=120)
    browser.route("https://my.example.test/**", lambda route: route.fulfill(body="the bill", content_type="text/plain"))
    with ServedApp(embedded_app) as served:
        page = _open(browser, f"{served.url}/v/{link.token}?device=lite")
        wait_for(page, "!document.getElementById('chapters').hidden", 20_000)

        # Chapters: one per titled scene, operated from the keyboard.
        chapters = page.locator("#chapter-list button")
        assert chapters.all_inner_texts() == ["Welcome (0:00)", "Your bill (0:01)"]
        chapters.nth(1).focus()
        page.keyboard.press("Enter")
        wait_for(page, "document.getElementById('player').currentTime >= 1.6", 10_000)
        assert "WEBVTT" in client.get(f"/v/{link.token}/chapters.vtt?device=lite").get_data(as_text=True)

        # The transcript, from the captions.
        wait_for(page, "!document.getElementById('transcript').hidden", 10_000)
        page.locator("#transcript summary").press("Enter")
        assert "you pay" in page.locator("#transcript-text").inner_text().lower()

        # The CTA over the video at its scene's time: a real link, clicked twice, counted once.
        cta = page.locator("#cta")
        cta.wait_for(state="visible", timeout=20_000)
        assert cta.get_attribute("href") == "https://my.example.test/bill"
        assert cta.inner_text() == "View your bill"
        with page.expect_popup() as opened:
            cta.click()
        assert opened.value.url == "https://my.example.test/bill"
        page.evaluate("(() => { const v = document.getElementById('player'); v.currentTime = v.duration; })()")
        end_cta = page.locator("#endcard-cta")
        end_cta.wait_for(state="visible", timeout=10_000)
        with page.expect_popup():
            end_cta.click()

        violations = Axe().run(page).response["violations"]
        serious = [(v["id"], v["impact"]) for v in violations if v["impact"] in ("serious", "critical")]
        assert serious == []
        page.evaluate("window.smartvideoBeacon.flush()")
        assert page.errors == []

    engine = embedded_app.extensions["smartvideo"].engine

    def stored_ctas() -> int:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(events_table)
                                    .where(events_table.c.type == "cta")).scalar_one())

    deadline = time.monotonic() + 10
    while stored_ctas() == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert stored_ctas() == 1


@pytest.mark.redis
def test_the_open_page_follows_a_killed_workers_job_to_a_playing_video(  # noqa: ANN001
        browser, web_config, redis_url, worker_factory, make_link) -> None:
    from smartvideo.web.app_factory import create_app

    app = create_app({**web_config, "broker_url": redis_url})
    client = app.test_client()
    first = worker_factory(SMARTVIDEO_VISIBILITY_TIMEOUT="600")  # the broker alone would take 10 minutes
    link = make_link(app, customer="T3")
    with ServedApp(app) as served:
        page = _open(browser, f"{served.url}/v/{link.token}?device=square")
        wait_for_status(client, link.token, {"rendering"}, device="square", timeout=60)
        first.kill()
        worker_factory(SMARTVIDEO_VISIBILITY_TIMEOUT="600")
        # No reload: the page's own polls lead to the taken-over job and its video.
        wait_for(page, "document.getElementById('player').currentTime > 1.0", 90_000)
        wait_for_status(client, link.token, {"ready"}, device="square", timeout=60)
        assert page.evaluate("document.getElementById('stage').dataset.state") == "playing"
    app.extensions["smartvideo"].close()
