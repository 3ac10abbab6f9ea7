"""GET /healthz: the app, the queue and the stores answer (200) or say which does not (503)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from smartvideo.web.services import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():  # noqa: ANN201
    report = services().health()
    response = jsonify(report)
    response.status_code = 200 if report["status"] == "ok" else 503
    response.headers["Cache-Control"] = "no-store"
    return response
