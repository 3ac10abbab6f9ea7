"""Click benchmarks: page latency under concurrent clicks, and click -> first playable segment.

Figures, not asserts: each function returns [{"name", "value", "unit", "runs", ...}] for
`smartvideo bench` to print.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from smartvideo.bench.figures import figure, free_port
from smartvideo.settings import find_content_root

STORY = "first_bill"
CUSTOMERS = ["C1001", "C1002", "C1003", "C1004"]
SECRET = "bench-secret-key-not-for-production-0123456789abcdef"


def _figure(name: str, value: float, unit: str, runs: int, **extra: Any) -> dict[str, Any]:
    return figure(name, [value], unit, runs=runs, **extra)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def _redis_up(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except Exception:  # noqa: BLE001 - no Redis: the figure is reported as skipped
        return False


def _env(data_dir: Path, root: Path, cache: Path, broker: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTVIDEO_")}
    env.update({"SMARTVIDEO_DATA_DIR": str(data_dir), "SMARTVIDEO_CONTENT_ROOT": str(root),
                "SMARTVIDEO_CACHE_DIR": str(cache), "SMARTVIDEO_SECRET_KEY": SECRET, "SMARTVIDEO_BROKER_URL": broker})
    return env


def _start_server(env: dict[str, str], port: int, log: Path, workers: int = 2,
                  threads: int = 16) -> subprocess.Popen[bytes]:
    """gunicorn (gthread workers) when installed, else waitress; the app from app.py."""
    here = Path(__file__).resolve().parents[2]
    env = {**env, "PYTHONPATH": os.pathsep.join([str(here), env.get("PYTHONPATH", "")])}
    if shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or _has_module("gunicorn"):
        cmd = [sys.executable, "-m", "gunicorn", "app:create_app()", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread", "--backlog", "2048",
               "--log-level", "warning"]
    else:
        cmd = [sys.executable, "-m", "waitress", "--listen", f"127.0.0.1:{port}", "--threads", "32",
               "--call", "app:create_app"]
    proc = subprocess.Popen(cmd, cwd=here, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status in (200, 503):
                return proc
        except OSError:
            time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError(f"the web server did not start:\n{log.read_text()[-2000:]}")


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _concurrent_gets(port: int, paths: list[str], spread: float = 0.0) -> list[float]:
    """GET every path at once on its own open connection; latencies in ms.

    asyncio, not a thread per click: the client shares the machine's cores with the server, and
    200 client threads would measure the client's GIL as much as the server.
    """
    import asyncio

    async def run() -> list[float]:
        connections = [await asyncio.open_connection("127.0.0.1", port) for _ in paths]
        go = asyncio.Event()

        async def click(n: int, path: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> float:
            request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)"
                       f"\r\nConnection: close\r\n\r\n").encode()
            await go.wait()
            if spread:  # paced: the clicks arrive evenly over `spread` seconds instead of at once
                await asyncio.sleep(spread * n / len(paths))
            started = time.perf_counter()
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"click failed: {head.splitlines()[0]!r}")
            await reader.read()  # the body, to the end (Connection: close)
            elapsed = (time.perf_counter() - started) * 1000
            writer.close()
            return elapsed

        tasks = [asyncio.create_task(click(n, p, r, w))
                 for n, (p, (r, w)) in enumerate(zip(paths, connections, strict=True))]
        await asyncio.sleep(0.05)
        go.set()
        return list(await asyncio.gather(*tasks))

    return asyncio.run(run())


def bench_click_p99(n: int = 200, runs: int = 3, root: Path | None = None,
                    redis_url: str = "redis://127.0.0.1:6379/14", workers: int = 2,
                    threads: int = 16) -> list[dict[str, Any]]:
    """GET /v/<token> latency with `n` clicks at once on loopback, scaled mode (gunicorn + Redis queue).

    First clicks (each claims its job and enqueues it) on `n` different links, then repeat clicks on
    the same links. No worker runs: the queued jobs are dropped afterwards (a DB of its own).
    """
    if not _redis_up(redis_url):
        return [_figure("click_p99_ms", float("nan"), "ms", 0, skipped="no Redis at " + redis_url)]
    import redis

    from smartvideo.config import load_config
    from smartvideo.links import create_link
    from smartvideo.storage.database import engine_for

    root = find_content_root(root)
    first: list[float] = []
    repeat: list[float] = []
    paced: list[float] = []
    with tempfile.TemporaryDirectory(prefix="sv-click-") as tmp:
        data, cache = Path(tmp) / "data", Path(tmp) / "cache"
        config = load_config(overrides={"data_dir": data, "secret_key": SECRET, "content_root": root,
                                        "cache_dir": cache, "broker_url": redis_url})
        engine = engine_for(config.sql_url)
        port = free_port()
        client = redis.Redis.from_url(redis_url)
        client.flushdb()
        server = _start_server(_env(data, root, cache, redis_url), port, Path(tmp) / "server.log", workers,
                               threads)
        try:
            _concurrent_gets(port, ["/healthz"] * 20)  # warm both processes' connections
            for _ in range(runs):
                links = [create_link(engine, SECRET, STORY, CUSTOMERS[i % len(CUSTOMERS)], dt.timedelta(days=1))
                         for i in range(n)]
                paths = [f"/v/{link.token}?device=lite" for link in links]
                first += _concurrent_gets(port, paths)
                repeat += _concurrent_gets(port, paths)
                fresh = [create_link(engine, SECRET, STORY, CUSTOMERS[i % len(CUSTOMERS)], dt.timedelta(days=1))
                         for i in range(n)]
                paced += _concurrent_gets(port, [f"/v/{link.token}?device=lite" for link in fresh], spread=1.0)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=10)
            client.flushdb()
            engine.dispose()
    server_name = f"gunicorn {workers}x{threads} gthread" if _has_module("gunicorn") else "waitress"
    detail = {"concurrent": n, "server": server_name}
    return [
        _figure("click_p99_ms", _percentile(first, 0.99), "ms", runs, p50=round(statistics.median(first), 2),
                clicks=len(first), kind="first click (claim + enqueue)", **detail),
        _figure("click_repeat_p99_ms", _percentile(repeat, 0.99), "ms", runs,
                p50=round(statistics.median(repeat), 2), clicks=len(repeat), kind="repeat click", **detail),
        _figure("click_paced_p99_ms", _percentile(paced, 0.99), "ms", runs, p50=round(statistics.median(paced), 2),
                clicks=len(paced), kind=f"{n} first clicks arriving evenly over 1 s", **detail),
    ]


def bench_ttff(runs: int = 3, root: Path | None = None) -> list[dict[str, Any]]:
    """Click -> first playable HLS segment on disk (demo story, static scenes cached, new customer).

    Embedded mode in this process, as `smartvideo serve` runs it: the renderer is warm (loaded by a
    first render, which also caches the static scenes); each run is a customer not rendered before
    in that run's data folder, so personal voice lines and scenes are made inside the measurement.
    """
    from smartvideo.links import create_link
    from smartvideo.web.app_factory import create_app

    root = find_content_root(root)
    ttff: list[float] = []
    full: list[float] = []
    ready: list[float] = []
    with tempfile.TemporaryDirectory(prefix="sv-ttff-") as tmp:
        cache = Path(tmp) / "cache"
        app = create_app({"data_dir": Path(tmp) / "data", "secret_key": SECRET, "content_root": root,
                          "cache_dir": cache, "broker_url": "", "redis_url": ""})
        services = app.extensions["smartvideo"]
        client = app.test_client()
        try:
            for n, customer in enumerate([CUSTOMERS[0], *CUSTOMERS[1:1 + runs]]):
                link = create_link(services.engine, SECRET, STORY, customer, dt.timedelta(days=1), variant="A")
                playlist = services.renders.files(link, _landscape()).playlist
                started = time.perf_counter()
                assert client.get(f"/v/{link.token}?device=landscape").status_code == 200
                first = None
                while True:
                    if first is None and playlist.exists():
                        first = time.perf_counter() - started
                    status = services.renders.status(link, _landscape())["status"]
                    if status in ("ready", "failed"):
                        break
                    time.sleep(0.005)
                if status != "ready":
                    raise RuntimeError(f"bench render for {customer} failed")
                if n > 0:  # the first one warms the renderer and the static scene cache
                    ttff.append(first if first is not None else time.perf_counter() - started)
                    full.append(time.perf_counter() - started)
                    # The same link clicked again (or pre-rendered with `link --prerender`): page + the
                    # first 256 KB of the MP4, what the browser needs before its first frame.
                    again = time.perf_counter()
                    client.get(f"/v/{link.token}?device=landscape")
                    media = client.get(f"/v/{link.token}/video.mp4?device=landscape",
                                       headers={"Range": "bytes=0-262143"})
                    assert media.status_code == 206
                    ready.append(time.perf_counter() - again)
        finally:
            services.close()
    return [_figure("ttff_s", statistics.median(ttff), "s", len(ttff), max=round(max(ttff), 3),
                    story=STORY, device="landscape", kind="click -> first HLS segment, static scenes cached"),
            _figure("click_to_mp4_s", statistics.median(full), "s", len(full), story=STORY, device="landscape"),
            _figure("ttff_prerendered_s", statistics.median(ready), "s", len(ready), story=STORY,
                    kind="click on a made video -> page + first 256 KB of the MP4 (server side)")]


def _landscape():  # noqa: ANN202
    from smartvideo.render.devices import PROFILES

    return PROFILES["landscape"]


def run(args: Any, results: dict[str, float] | None = None) -> Iterator[dict[str, Any]]:
    """Click figures: page latency under 200 clicks at once, click -> first playable segment."""
    for result in [*bench_click_p99(runs=args.runs), *bench_ttff(runs=args.runs)]:
        print(json.dumps(result), flush=True)
        yield result
