"""The browser bench says why a click never played: the page's state, its console and failed
requests, rather than a bare timeout (a real Chromium on a real loopback server)."""

from __future__ import annotations

from typing import Any

import pytest
from loopback import ServedApp

from smartvideo.bench.browser import CHROMIUM_FLAGS, measure_click

pytestmark = [pytest.mark.browser]

PAGE = b"""<!doctype html><title>never plays</title><p>Preparing your video</p>
<script>console.log("player: waiting for the stream"); fetch("/gone.m3u8");</script>"""


def _app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    if environ["PATH_INFO"] == "/gone.m3u8":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no"]
    start_response("200 OK", [("Content-Type", "text/html")])
    return [PAGE]


def test_a_click_that_never_plays_reports_the_page_state_console_and_failed_requests(chromium_path: str) -> None:
    from playwright.sync_api import sync_playwright

    with ServedApp(_app) as served, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_FLAGS,
                                             ignore_default_args=["--headless"])
        try:
            with pytest.raises(TimeoutError) as caught:
                measure_click(browser, f"{served.url}/v/x", {"viewport": {"width": 640, "height": 360}},
                              timeout_ms=1500)
        finally:
            browser.close()
    message = str(caught.value)
    assert "still false after 1500 ms" in message
    assert '"text": "Preparing your video"' in message  # the page's state
    assert "console log: player: waiting for the stream" in message
    assert f"404 {served.url}/gone.m3u8" in message
