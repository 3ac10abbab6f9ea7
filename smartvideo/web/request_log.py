"""One INFO line per request, without personal data; accepted beacons as a tally.

A video token is a bearer credential: the path is logged with the token replaced by the link id
once the link is known (else `…`), and no query string, address or user agent is written.

Beacons are telemetry, thousands a second at peak: a line for each accepted one cost a fifth of
the ingest server's CPU (the handler's lock taken by every request thread in turn). Each
process counts them instead and writes one line at most every TALLY_SECONDS ("beacons: 12480
accepted (640 duplicates) in the last 10 s"); a refused beacon (4xx, 5xx) still gets its own line.
"""

from __future__ import annotations

import logging
import re
import threading
import time

from flask import Flask, Response, g, request

log = logging.getLogger("smartvideo.requests")

_TOKEN_PATH = re.compile(r"^/v/[^/]+")
TALLY_SECONDS = 10.0


class BeaconTally:
    """Accepted beacons of this process, written as one line when TALLY_SECONDS have passed."""

    def __init__(self, every: float = TALLY_SECONDS) -> None:
        self.every = every
        self._lock = threading.Lock()
        self._accepted = self._duplicates = 0
        self._since = time.monotonic()

    def accepted(self, duplicate: bool) -> None:
        now = time.monotonic()
        with self._lock:
            self._accepted += 1
            self._duplicates += duplicate
            if now - self._since < self.every:
                return
            accepted, duplicates, since = self._accepted, self._duplicates, self._since
            self._accepted = self._duplicates = 0
            self._since = now
        log.info("beacons: %d accepted (%d duplicates) in the last %.0f s", accepted, duplicates, now - since)


beacon_tally = BeaconTally()


def loggable_path(path: str, link_id: str | None) -> str:
    return _TOKEN_PATH.sub(f"/v/[link {link_id}]" if link_id else "/v/…", path)


def install_request_log(app: Flask) -> None:
    @app.before_request
    def _started() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _log(response: Response) -> Response:
        if request.path.startswith("/static/") or request.path == "/healthz":
            return response  # assets and probes would drown the lines that matter
        started = g.get("request_started")
        elapsed = (time.perf_counter() - started) * 1000 if started else 0.0
        if response.status_code == 200 and request.method == "POST" and request.path.endswith("/beacon"):
            beacon_tally.accepted(bool(g.get("beacon_duplicate")))
            return response
        log.info("%s %s %d %.0f ms", request.method, loggable_path(request.path, g.get("link_id")),
                 response.status_code, elapsed)
        return response
