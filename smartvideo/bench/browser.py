"""Browser benchmark: the customer's click to the first frame, measured in a real headless Chromium.

`smartvideo bench --only browser`. The server is `smartvideo serve` (embedded runner) in its own
process; static scenes are warmed by a first click; every measured click is a customer never
rendered before (a generated copy of the demo customers with its own name and amounts, so voice
lines and personal scenes are made inside the measurement) in a fresh browser context (no cache).
Times are the page's own clock: `performance.now()` counts from the navigation's start, so "click"
is the moment the browser starts the navigation.

Figures (p50 as the value, p95 alongside): click -> `playing` and click -> first decoded frame
(requestVideoFrameCallback), for landscape (desktop), a phone held upright (portrait), and the
same links again once made ("pre-rendered").
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from smartvideo.bench.figures import emit, free_port
from smartvideo.settings import find_content_root

STORY = "first_bill"
SECRET = "bench-secret-key-not-for-production-0123456789abcdef"
NAMES = ["Noor", "Sam", "Lotte", "Daan", "Emma", "Finn", "Julia", "Milan", "Sara", "Levi", "Zoe", "Bram",
         "Iris", "Luuk", "Tess", "Jesse", "Fleur", "Thijs", "Anouk", "Ruben", "Lina", "Sem", "Evi", "Mats"]
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--autoplay-policy=no-user-gesture-required"]
# Injected before the page's own scripts (a CDP init script: the page's CSP does not apply to it).
# Records, on the page's clock, when the video first plays and when its first frame is presented.
TIMING_PROBE = """
(() => {
  window.__sv = {};
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (!window.__sv.playlist && entry.name.indexOf(".m3u8") >= 0) { window.__sv.playlist = entry.startTime; }
    }
  }).observe({type: "resource", buffered: true});
  document.addEventListener("DOMContentLoaded", () => {
    const video = document.getElementById("player");
    if (!video) { return; }
    video.addEventListener("playing", () => { if (!window.__sv.playing) { window.__sv.playing = performance.now(); } });
    if (video.requestVideoFrameCallback) {
      video.requestVideoFrameCallback((now) => { window.__sv.frame = performance.now(); });
    }
  });
})();
"""
PHONE: dict[str, Any] = {
    "viewport": {"width": 412, "height": 915}, "device_scale_factor": 2.6, "is_mobile": True, "has_touch": True,
    "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/130.0.0.0 Mobile Safari/537.36"}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1366, "height": 768},
           "user_agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                         "Chrome/130.0.0.0 Safari/537.36"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def bench_content_root(real: Path, folder: Path, customers: int) -> Path:
    """A content root sharing the real one's scenes, assets and voices, with `customers` new customers."""
    folder.mkdir(parents=True)
    for entry in real.iterdir():
        if entry.name != "data" and not entry.name.startswith("."):
            (folder / entry.name).symlink_to(entry)
    data = folder / "data"
    data.mkdir()
    for entry in (real / "data").iterdir():
        if entry.name != "customers.json":
            (data / entry.name).symlink_to(entry)
    base = json.loads((real / "data" / "customers.json").read_text(encoding="utf-8"))
    made = []
    for n in range(customers):
        record = json.loads(json.dumps(base[n % len(base)]))
        record["id"] = f"B{n:04d}"
        record["customer"]["first_name"] = NAMES[n % len(NAMES)]
        record["bill"]["total"] = round(record["bill"]["total"] + 1.37 * (n + 1), 2)
        made.append(record)
    (data / "customers.json").write_text(json.dumps(made), encoding="utf-8")
    return folder


def _start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "smartvideo.cli", "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return proc
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError(f"the web server did not start:\n{log.read_text()[-2000:]}")


def _wait_ready(port: int, token: str, device: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v/{token}/status?device={device}", timeout=5) as r:
            status = json.loads(r.read())["status"]
        if status == "ready":
            return
        if status == "failed":
            raise RuntimeError(f"bench render failed ({device})")
        time.sleep(0.2)
    raise RuntimeError(f"bench render not ready in {timeout} s ({device})")


def wait_for(page: Any, expression: str, timeout_ms: int) -> Any:
    """Poll a JS expression until truthy. Not `page.wait_for_function`: that builds its predicate
    with eval, which the page's CSP (rightly) refuses."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{expression} still false after {timeout_ms} ms")
        time.sleep(0.05)


# What a click that never played shows: the player's marks, the video element's state, the text.
PAGE_STATE = """(() => {
  const v = document.querySelector('video');
  return {marks: window.__sv || null, readyState: v && v.readyState, networkState: v && v.networkState,
          error: v && v.error && v.error.message, src: v && v.currentSrc, paused: v && v.paused,
          currentTime: v && v.currentTime, text: document.body ? document.body.innerText.slice(0, 300) : ''};
})()"""


def measure_click(browser: Any, url: str, profile: dict[str, Any], timeout_ms: int = 60_000) -> dict[str, float]:
    """One click in a fresh context: seconds to `playing`, to the first presented frame, and to the
    player's first playlist request (the server's share: the stream exists), if it used one."""
    context = browser.new_context(**profile)
    seen: list[str] = []  # the page's console and failed requests: what a timeout reports
    try:
        context.add_init_script(TIMING_PROBE)
        page = context.new_page()
        page.on("console", lambda message: seen.append(f"console {message.type}: {message.text}"))
        page.on("requestfailed", lambda request: seen.append(f"request failed: {request.url} {request.failure}"))
        page.on("response", lambda response: seen.append(f"{response.status} {response.url}")
                if response.status >= 400 else None)
        page.goto(url, wait_until="commit")
        try:
            marks = wait_for(page, "window.__sv && window.__sv.playing && window.__sv.frame && window.__sv",
                             timeout_ms)
        except TimeoutError as exc:
            state = json.dumps(page.evaluate(PAGE_STATE))
            raise TimeoutError(f"{exc}\npage: {state}\n" + "\n".join(seen[-30:])) from None
        return {key: value / 1000 for key, value in marks.items()}
    finally:
        context.close()


def _chromium() -> str:
    path = os.environ.get("SMARTVIDEO_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("no Chromium found (set SMARTVIDEO_CHROMIUM or install chromium)")
    return path


def bench_browser(runs: int = 5, root: Path | None = None) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    from smartvideo.links import create_link
    from smartvideo.storage.database import engine_for

    real_root = find_content_root(root)
    devices: dict[str, dict[str, Any]] = {"landscape": DESKTOP, "portrait": PHONE}
    timings: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="sv-browser-") as tmp:
        folder = Path(tmp)
        content = bench_content_root(real_root, folder / "content", customers=1 + runs * len(devices))
        data, cache = folder / "data", folder / "cache"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTVIDEO_")}
        env.update({"SMARTVIDEO_DATA_DIR": str(data), "SMARTVIDEO_CONTENT_ROOT": str(content),
                    "SMARTVIDEO_CACHE_DIR": str(cache), "SMARTVIDEO_SECRET_KEY": SECRET})
        port = free_port()
        server = _start_server(env, port, folder / "server.log")
        engine = engine_for(f"sqlite:///{data / 'smartvideo.db'}")
        customers = iter(f"B{n:04d}" for n in range(1 + runs * len(devices)))

        def new_link() -> Any:
            return create_link(engine, SECRET, STORY, next(customers), dt.timedelta(days=1), variant="A")

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=_chromium(), headless=True, args=CHROMIUM_FLAGS,
                                                     ignore_default_args=["--headless"])
                base = f"http://127.0.0.1:{port}"
                warm = new_link()  # warms the renderer and encodes the static scenes for both devices
                for device, profile in devices.items():
                    measure_click(browser, f"{base}/v/{warm.token}", profile, timeout_ms=180_000)
                    _wait_ready(port, warm.token, device)
                for device, profile in devices.items():
                    made = []
                    for _ in range(runs):
                        link = new_link()
                        marks = measure_click(browser, f"{base}/v/{link.token}", profile)
                        # One click at a time, as on a quiet server: the next waits for this render.
                        _wait_ready(port, link.token, device)
                        for kind, value in marks.items():
                            timings.setdefault(device, {}).setdefault(kind, []).append(value)
                        made.append(link)
                    for link in made:  # the same links once made: the pre-rendered click
                        marks = measure_click(browser, f"{base}/v/{link.token}", profile)
                        for kind in ("playing", "frame"):
                            timings.setdefault(f"{device}_prerendered", {}).setdefault(kind, []).append(marks[kind])
                browser.close()
        except TimeoutError as exc:  # a click that never played: what the server said meanwhile
            tail = "\n".join((folder / "server.log").read_text(errors="replace").splitlines()[-40:])
            raise TimeoutError(f"{exc}\nserver log (last lines):\n{tail}") from None
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
            engine.dispose()
    figures = []
    for case, values in timings.items():
        for kind, name in (("playing", "click_to_playing"), ("frame", "click_to_first_frame"),
                           ("playlist", "click_to_stream")):
            if kind not in values:
                continue
            p95 = round(percentile(values[kind], 0.95), 3)
            figures.append(emit(f"browser_{name}_{case}_s", values[kind], "s", p95=p95, story=STORY,
                                browser="headless Chromium", server="smartvideo serve (embedded)",
                                kind="new customer, static scenes warm" if "prerendered" not in case
                                else "link already rendered (MP4)"))
    return figures


def run(args: Any, results: dict[str, float] | None = None) -> Iterator[dict[str, Any]]:
    """Click -> playing and click -> first frame in headless Chromium, p50 and p95."""
    yield from bench_browser(runs=args.runs)
