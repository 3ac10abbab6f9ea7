"""End to end in a real headless Chromium: the page loads, the video plays (currentTime advances)."""

from __future__ import annotations

import pytest
from web_support import ServedApp, need

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture
def browser(chromium_path: str, tmp_path):  # noqa: ANN001, ANN201
    import importlib.util

    need(importlib.util.find_spec("playwright") is not None, "playwright is not installed (pip install playwright)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # A persistent context gives the browser its own, new --user-data-dir.
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=chromium_path, headless=True,
            args=CHROMIUM_FLAGS, ignore_default_args=["--headless"])
        yield context
        context.close()


def test_the_page_loads_and_the_video_plays_in_chromium(browser, embedded_app, make_link) -> None:  # noqa: ANN001
    link = make_link(embedded_app, customer="T5")
    with ServedApp(embedded_app) as served:
        page = browser.new_page()
        page.goto(f"{served.url}/v/{link.token}?device=lite")
        codecs = page.evaluate("MediaSource.isTypeSupported('video/mp4; codecs=\"avc1.640028,mp4a.40.2\"')")
        assert codecs, "this Chromium cannot play H.264/AAC"
        assert page.evaluate("window.smartvideo.beaconUrl") == f"/v/{link.token}/beacon"
        page.wait_for_function("document.getElementById('player').currentTime > 0.5", timeout=90_000)
        source = page.evaluate("document.getElementById('player').currentSrc")
        assert source  # HLS (blob: from hls.js) or the MP4
