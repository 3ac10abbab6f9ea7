"""Errors as friendly pages (HTML) or small JSON bodies (API-ish paths): never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

_TITLES = {
    404: "This link does not work",
    410: "This video has expired",
    500: "Something went wrong on our side",
    503: "We are busy right now",
}


def wants_json() -> bool:
    path = request.path
    return (path.endswith(("/status", "/retry", "/beacon")) or path.startswith("/api/")
            or request.accept_mimetypes.best == "application/json")


def error_response(code: int, message: str | None = None):  # noqa: ANN201
    title = _TITLES.get(code, "Something went wrong")
    if wants_json():
        return jsonify({"error": title, "status": code}), code, {"Cache-Control": "no-store"}
    from smartvideo.web.brand import house_brand

    page = render_template("pages/error.html", code=code, title=title, message=message, brand=house_brand())
    return page, code, {"Cache-Control": "no-store"}


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # noqa: ANN202
        return error_response(exc.code or 500)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # noqa: ANN202
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500)
