"""One INFO line per request, without personal data.

A video token is a bearer credential: the path is logged with the token replaced by the link id
once the link is known (else `…`), and no query string, address or user agent is written.
"""

from __future__ import annotations

import logging
import re
import time

from flask import Flask, Response, g, request

log = logging.getLogger("smartvideo.requests")

_TOKEN_PATH = re.compile(r"^/v/[^/]+")


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
        log.info("%s %s %d %.0f ms", request.method, loggable_path(request.path, g.get("link_id")),
                 response.status_code, elapsed)
        return response
