"""The scaled deployment's web server: the app under granian (Rust HTTP, two worker processes)
answers pages, the beacon's thin path and forged links exactly as under waitress."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from loopback import free_port
from web_support import ROOT, SECRET

from smartvideo.links import create_link
from smartvideo.storage.database import make_engine, upgrade_schema


@pytest.fixture
def granian_server(tmp_path: Path, tiny_root: Path, shared_cache: Path) -> Iterator[dict[str, Any]]:
    pytest.importorskip("granian")
    port = free_port()
    url = f"sqlite:///{tmp_path / 'data' / 'smartvideo.db'}"
    (tmp_path / "data").mkdir()
    engine = make_engine(url)
    upgrade_schema(engine)
    env = dict(os.environ, PYTHONPATH=str(ROOT), SMARTVIDEO_DATA_DIR=str(tmp_path / "data"),
               SMARTVIDEO_DATABASE_URL=url, SMARTVIDEO_CONTENT_ROOT=str(tiny_root),
               SMARTVIDEO_CACHE_DIR=str(shared_cache), SMARTVIDEO_SECRET_KEY=SECRET,
               SMARTVIDEO_BROKER_URL="", SMARTVIDEO_REDIS_URL="")
    log = (tmp_path / "granian.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "wsgi", "--factory", "--workers", "2",
         "--host", "127.0.0.1", "--port", str(port), "smartvideo.web.app_factory:create_app"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((tmp_path / "granian.log").read_text()) from None
            time.sleep(0.2)
    link = create_link(engine, SECRET, "tiny", "T1", dt.timedelta(days=1))
    yield {"port": port, "link": link, "log": tmp_path / "granian.log"}
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:  # a graceful stop on a loaded machine: the test is about serving
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    engine.dispose()


def _request(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body, headers={"Content-Type": "text/plain;charset=UTF-8"} if body else {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, data


def test_the_app_under_granian_serves_pages_beacons_and_refuses_forgeries(granian_server) -> None:  # noqa: ANN001
    port, token = granian_server["port"], granian_server["link"].token
    status, headers, page = _request(port, "GET", f"/v/{token}?device=lite")
    assert status == 200 and b"<video" in page
    assert "script-src" in headers["content-security-policy"] and headers["x-content-type-options"] == "nosniff"

    batch = {"view": "granian-view-0001", "seq": 0, "device": "lite",
             "events": [{"type": "open"}, {"type": "play", "t": 0.0}, {"type": "watch", "s": 0}]}
    body = json.dumps(batch).encode()
    status, headers, answer = _request(port, "POST", f"/v/{token}/beacon", body)
    assert status == 200 and json.loads(answer) == {"stored": 3, "duplicate": False}
    assert headers["x-content-type-options"] == "nosniff"
    status, _, answer = _request(port, "POST", f"/v/{token}/beacon", body)  # a replay changes nothing
    assert status == 200 and json.loads(answer) == {"stored": 0, "duplicate": True}

    status, _, answer = _request(port, "POST", f"/v/{token}/beacon", b"{not json")
    assert status == 400 and "error" in json.loads(answer)
    status, _, page = _request(port, "GET", "/v/" + "A" * 23)
    assert status == 404 and b"This link does not work" in page and b"Traceback" not in page
    assert b"Traceback" not in granian_server["log"].read_bytes()
