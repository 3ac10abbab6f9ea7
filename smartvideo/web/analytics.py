"""Analytics on the web: the player's beacon endpoint and the analyst's reports.

`POST /v/<token>/beacon` answers JSON: 200 {stored, duplicate}, or 400 / 404 / 410 / 413 with
{"error": ..., "status": ...}. `/reports/<story>` (HTML, `.csv`, `.json`) needs the analyst key: the
`X-Analyst-Key` header, or a session set by the small login form at `/reports/login`.
"""

from __future__ import annotations

import datetime as dt
import hmac
import time
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)

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
from smartvideo.links import Link
from smartvideo.render.devices import PROFILES
from smartvideo.web.csrf import csrf_ok, csrf_token

bp = Blueprint("analytics", __name__)

_STORE_KEY = "smartvideo.analytics"
_LINKS_KEY = "smartvideo.analytics.links"
LINK_CACHE_SECONDS = 60.0  # a player sends a beacon every few seconds: look its link up once a minute


def _services() -> Any:
    return current_app.extensions["smartvideo"]


def beacon_store() -> BeaconStore:
    """One BeaconStore per app (it caches finished renders)."""
    store = current_app.extensions.get(_STORE_KEY)
    if store is None:
        store = current_app.extensions.setdefault(_STORE_KEY, BeaconStore(_services().engine))
    return store


def _beacon_link(token: str) -> Link:
    """The link of a beacon's token, cached briefly (links do not change; expiry is checked each time)."""
    cache: dict[str, tuple[float, Link]] = current_app.extensions.setdefault(_LINKS_KEY, {})
    now = time.monotonic()
    hit = cache.get(token)
    if hit is None or now - hit[0] > LINK_CACHE_SECONDS:
        link = _services().links.resolve(token)
        if len(cache) > 50_000:
            cache.clear()
        cache[token] = (now, link)
    else:
        link = hit[1]
    if dt.datetime.now(dt.UTC) >= link.expires_at:
        raise LinkExpired("link expired")
    return link


def _error(status: int, message: str) -> tuple[Response, int]:
    response = jsonify({"error": message, "status": status})
    response.headers["Cache-Control"] = "no-store"
    return response, status


@bp.post("/v/<token>/beacon")
def beacon(token: str):  # noqa: ANN201
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return _error(413, f"beacon larger than {MAX_BODY_BYTES} bytes")
    body = request.stream.read(MAX_BODY_BYTES + 1)
    try:
        link = _beacon_link(token)
    except LinkExpired:
        return _error(410, "link expired")
    except LinkError:
        return _error(404, "no such link")
    try:
        if len(body) > MAX_BODY_BYTES:
            raise BeaconTooLarge(f"beacon larger than {MAX_BODY_BYTES} bytes")
        batch = parse_beacon(body)
        if batch.device not in PROFILES:
            return _error(400, f"unknown device {batch.device!r}")
        result = beacon_store().ingest(link, batch)
    except AnalyticsError as exc:
        return _error(exc.status, str(exc))
    response = jsonify({"stored": result.stored, "duplicate": result.duplicate})
    response.headers["Cache-Control"] = "no-store"
    return response


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
    response = Response(views_csv(_services().engine, story, filters), mimetype="text/csv")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = f'attachment; filename="views-{story}.csv"'
    return response


@bp.get("/reports/<story>/customers/<customer_id>.<any(json, txt):fmt>")
def viewer(story: str, customer_id: str, fmt: str):  # noqa: ANN201
    """One customer's views: variant, device, channel, events and a heatmap row per view."""
    if not _is_analyst():
        return _refuse(fmt)
    views = customer_views(_services().engine, story, customer_id)
    if fmt == "json":
        response = Response(viewer_json(story, customer_id, views), mimetype="application/json")
    else:
        response = Response(viewer_text(story, customer_id, views), mimetype="text/plain")
    response.headers["Cache-Control"] = "private, no-store"
    return response
