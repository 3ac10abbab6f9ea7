"""Analytics on the web: the player's beacon endpoint and the analyst's reports.

`POST /v/<token>/beacon` answers JSON: 200 {stored, duplicate}, or 400 / 404 / 410 / 413 with
{"error": ..., "status": ...}. `/reports/<story>` (HTML, `.csv`, `.json`) needs the analyst key: the
`X-Analyst-Key` header, or a session set by the small login form at `/reports/login`.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import time
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)
from werkzeug.wsgi import get_input_stream

from smartvideo.analytics.engagement import load_engagement
from smartvideo.analytics.errors import AnalyticsError, BeaconTooLarge
from smartvideo.analytics.events import MAX_BODY_BYTES, parse_beacon
from smartvideo.analytics.formatters import render, to_html
from smartvideo.analytics.ingest import BeaconStore
from smartvideo.analytics.report_model import Filters
from smartvideo.analytics.report_queries import story_report
from smartvideo.analytics.typical_band import typical_band
from smartvideo.analytics.viewer_report import customer_views, viewer_json, viewer_text, views_csv
from smartvideo.errors import LinkError, LinkExpired
from smartvideo.render.devices import PROFILES
from smartvideo.web.csrf import csrf_ok, csrf_token
from smartvideo.web.request_log import beacon_tally, loggable_path
from smartvideo.web.request_log import log as request_log
from smartvideo.web.security_headers import security_headers

bp = Blueprint("analytics", __name__)
log = logging.getLogger(__name__)

_STORE_KEY = "smartvideo.analytics"


def _services() -> Any:
    return current_app.extensions["smartvideo"]


def beacon_store(app: Flask | None = None) -> BeaconStore:
    """One BeaconStore per app (it caches finished renders, and its thread folds the inbox unless
    `analytics_folder` is "process": then `smartvideo analytics-fold --watch` does)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    store = app.extensions.get(_STORE_KEY)
    if store is None:
        store = app.extensions.setdefault(_STORE_KEY, BeaconStore(
            app.extensions["smartvideo"].engine,
            fold="thread" if app.extensions["smartvideo"].config.analytics_folder == "thread" else "apart"))
    return store


def answer_beacon(app: Flask, token: str, body: bytes) -> tuple[int, dict[str, Any], str | None]:
    """A beacon's answer: (status, JSON body, the link id once known). Errors are answers too."""
    try:
        link = app.extensions["smartvideo"].links.resolve(token)
    except LinkExpired:
        return 410, {"error": "link expired", "status": 410}, None
    except LinkError:
        return 404, {"error": "no such link", "status": 404}, None
    try:
        if len(body) > MAX_BODY_BYTES:
            raise BeaconTooLarge(f"beacon larger than {MAX_BODY_BYTES} bytes")
        batch = parse_beacon(body)
        if batch.device not in PROFILES:
            return 400, {"error": f"unknown device {batch.device!r}", "status": 400}, link.id
        result = beacon_store(app).ingest(link, batch)
    except AnalyticsError as exc:
        return exc.status, {"error": str(exc), "status": exc.status}, link.id
    return 200, {"stored": result.stored, "duplicate": result.duplicate}, link.id


class BeaconPath:
    """WSGI middleware: `POST /v/<token>/beacon` answered without Flask's request machinery.

    The beacon is the one route called thousands of times a second: Flask's request context,
    session, URL routing and response object cost more than storing the batch. This path answers
    exactly what the route would (same checks, JSON, security headers, and the request log's line
    for a refused beacon or tally for an accepted one); every other request goes on to Flask.
    """

    def __init__(self, app: Flask, wsgi_app: Callable[..., Any]) -> None:
        self.app, self.wsgi_app = app, wsgi_app
        config = app.extensions["smartvideo"].config
        self.headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store"),
                        *security_headers(config.frame_ancestors).items()]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "POST" or not path.startswith("/v/") or not path.endswith("/beacon"):
            return self.wsgi_app(environ, start_response)
        token = path[3:-7]
        if not token or "/" in token:
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        link_id = None
        try:
            length = environ.get("CONTENT_LENGTH")
            if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
                status, answer = 413, {"error": f"beacon larger than {MAX_BODY_BYTES} bytes", "status": 413}
            else:
                body = get_input_stream(environ).read(MAX_BODY_BYTES + 1)
                status, answer, link_id = answer_beacon(self.app, token, body)
        except Exception:  # noqa: BLE001 - logged; the player gets a JSON 500, never a traceback
            log.exception("beacon failed")
            status, answer = 500, {"error": "Something went wrong on our side", "status": 500}
        payload = json.dumps(answer, separators=(",", ":")).encode() + b"\n"
        start_response(f"{status} {HTTPStatus(status).phrase}",
                       [*self.headers, ("Content-Length", str(len(payload)))])
        if status == 200:
            beacon_tally.accepted(bool(answer.get("duplicate")))
        elif request_log.isEnabledFor(logging.INFO):
            request_log.info("%s %s %d %.0f ms", "POST", loggable_path(path, link_id), status,
                             (time.perf_counter() - started) * 1000)
        return [payload]


@bp.record_once
def _install_beacon_path(state: Any) -> None:
    state.app.wsgi_app = BeaconPath(state.app, state.app.wsgi_app)


@bp.post("/v/<token>/beacon")
def beacon(token: str):  # noqa: ANN201
    """The same answer through Flask, for a request the middleware did not see (a mounted app)."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        status, answer = 413, {"error": f"beacon larger than {MAX_BODY_BYTES} bytes", "status": 413}
    else:
        status, answer, g.link_id = answer_beacon(current_app._get_current_object(),  # type: ignore[attr-defined]
                                                  token, request.stream.read(MAX_BODY_BYTES + 1))
        g.beacon_duplicate = answer.get("duplicate")
    response = jsonify(answer)
    response.headers["Cache-Control"] = "no-store"
    return response, status


def _error(status: int, message: str) -> tuple[Response, int]:
    response = jsonify({"error": message, "status": status})
    response.headers["Cache-Control"] = "no-store"
    return response, status


# ---- reports -------------------------------------------------------------------------------------


def _key() -> str:
    return _services().config.analyst_key


def _is_analyst() -> bool:
    key = _key()
    if not key:
        return False
    offered = request.headers.get("X-Analyst-Key", "")
    if offered and hmac.compare_digest(offered.encode(), key.encode()):
        return True
    return bool(session.get("analyst")) and hmac.compare_digest(str(session.get("analyst_key_id", "")), _key_id(key))


def _key_id(key: str) -> str:
    # The session holds a digest of the key it was opened with: changing the key logs everyone out.
    return hmac.new(key.encode(), b"analyst-session", "sha256").hexdigest()[:16]


def _refuse(fmt: str):  # noqa: ANN202
    if not _key():
        return _error(403, "reports are disabled: set SMARTVIDEO_ANALYST_KEY")
    if fmt == "html" and "X-Analyst-Key" not in request.headers:
        return redirect(url_for("analytics.login", next=request.full_path))
    return _error(401, "analyst key required (header X-Analyst-Key or /reports/login)")


_LOGIN = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Analyst login</title>
<meta name="robots" content="noindex"><style>body{{font:15px system-ui,sans-serif;max-width:360px;
margin:80px auto}}input,button{{font:inherit;padding:6px;width:100%;margin:6px 0}}.err{{color:#c00}}</style>
</head><body><h1>Reports</h1><form method="post"><input type="hidden" name="next" value="{next}">
<input type="hidden" name="csrf" value="{csrf}">
<label>Analyst key<input type="password" name="key" autofocus required></label>
<button type="submit">Sign in</button></form><p class="err">{error}</p></body></html>"""


def _safe_next(value: str | None) -> str:
    return value if value and value.startswith("/reports/") and "//" not in value else "/reports/"


@bp.route("/reports/login", methods=["GET", "POST"])
def login():  # noqa: ANN201
    from markupsafe import escape

    error = ""
    nxt = _safe_next(request.values.get("next"))
    if request.method == "POST" and not csrf_ok():
        error = "The form expired; please sign in again."
    elif request.method == "POST":
        key = _key()
        offered = request.form.get("key", "")
        if key and hmac.compare_digest(offered.encode(), key.encode()):
            session["analyst"] = True
            session["analyst_key_id"] = _key_id(key)
            return redirect(nxt)
        error = "That key is not right." if key else "Reports are disabled: no analyst key is set."
    page = _LOGIN.format(next=escape(nxt), error=escape(error), csrf=escape(csrf_token()))
    return Response(
        page,
        status=401 if error else 200,
        mimetype="text/html",
        headers={"Cache-Control": "no-store"},
    )


@bp.post("/reports/logout")
def logout():  # noqa: ANN201
    session.pop("analyst", None)
    session.pop("analyst_key_id", None)
    return redirect(url_for("analytics.login"))


def _filters() -> Filters:
    def date(name: str) -> dt.date | None:
        value = request.args.get(name) or None
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise AnalyticsError(f"{name} must be a date like 2026-11-23") from None

    def text(name: str) -> str | None:
        value = request.args.get(name)
        return value if value not in (None, "") else None

    return Filters(date("from"), date("to"), text("variant"), text("device"), text("campaign"))


def _report_response(story: str, fmt: str):  # noqa: ANN202
    if not _is_analyst():
        return _refuse(fmt)
    try:
        filters = _filters()
    except AnalyticsError as exc:
        return _error(400, str(exc))
    config = _services().config
    root = config.render_settings().content_root
    beacon_store().fold_pending()  # views that waited on their render's plan count from now on
    report = story_report(_services().engine, story, filters, load_engagement(content_root=root))
    query = request.query_string.decode()
    suffix = f"?{query}" if query else ""
    if fmt == "html":
        body = to_html(
            report,
            Path(root) / "templates",
            band=typical_band(_services().engine, story, len(report.figures.retention), filters.variant),
            filter_form=True,
            links={
                "csv": url_for("analytics.report_as", story=story, fmt="csv") + suffix,
                "json": url_for("analytics.report_as", story=story, fmt="json") + suffix,
            },
        )
        mimetype = "text/html"
    else:
        body = render(report, fmt)
        mimetype = "application/json" if fmt == "json" else "text/csv"
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = "private, no-store"
    if fmt == "csv":
        response.headers["Content-Disposition"] = f'attachment; filename="report-{story}.csv"'
    return response


@bp.get("/reports/<story>")
def report(story: str):  # noqa: ANN201
    return _report_response(story, "html")


@bp.get("/reports/<story>.<any(csv, json, html):fmt>")
def report_as(story: str, fmt: str):  # noqa: ANN201
    return _report_response(story, fmt)


@bp.get("/api/v1/reports/<story>")
def report_api(story: str):  # noqa: ANN201
    """The JSON report for programs (analyst key in X-Analyst-Key)."""
    return _report_response(story, "json")


@bp.get("/reports/<story>/views.csv")
def views_export(story: str):  # noqa: ANN201
    """Every view of the story, one CSV row each (filters as for the report)."""
    if not _is_analyst():
        return _refuse("csv")
    try:
        filters = _filters()
    except AnalyticsError as exc:
        return _error(400, str(exc))
    beacon_store().fold_inbox()  # every batch acknowledged so far counts
    response = Response(views_csv(_services().engine, story, filters), mimetype="text/csv")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = f'attachment; filename="views-{story}.csv"'
    return response


@bp.get("/reports/<story>/customers/<customer_id>.<any(json, txt):fmt>")
def viewer(story: str, customer_id: str, fmt: str):  # noqa: ANN201
    """One customer's views: variant, device, channel, events and a heatmap row per view."""
    if not _is_analyst():
        return _refuse(fmt)
    beacon_store().fold_inbox()  # every batch acknowledged so far counts
    views = customer_views(_services().engine, story, customer_id)
    if fmt == "json":
        response = Response(viewer_json(story, customer_id, views), mimetype="application/json")
    else:
        response = Response(viewer_text(story, customer_id, views), mimetype="text/plain")
    response.headers["Cache-Control"] = "private, no-store"
    return response
