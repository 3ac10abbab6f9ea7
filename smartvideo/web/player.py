"""The customer's side: the player page, its status, the MP4, captions and the HLS stream.

`GET /v/<token>` answers at once with the page and queues the render (never waits for it). The
page polls `/status`, plays the HLS stream as soon as scene 1 is in, and the finished MP4 later.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, abort, g, jsonify, render_template, request, send_file, url_for

from smartvideo.errors import LinkError, LinkExpired
from smartvideo.jobs.hls_writer import PLAYLIST
from smartvideo.links import Link
from smartvideo.render.devices import pick_device
from smartvideo.render.interactive import Chapter, chapters_webvtt
from smartvideo.render.plan import DeviceProfile
from smartvideo.web.brand import brand_for
from smartvideo.web.error_pages import error_response
from smartvideo.web.services import services

bp = Blueprint("player", __name__)

_SEGMENT = re.compile(r"^s\d{3}\.ts$")
_LOCATION = re.compile(r"^-?\d{1,3}(\.\d+)?,-?\d{1,3}(\.\d+)?$")
# Personal pages and media: browsers may keep them, shared caches and proxies must not.
PRIVATE_MEDIA = "private, max-age=86400"
NO_STORE = "no-store"


class _LinkRefused(Exception):
    def __init__(self, code: int):
        self.code = code


@bp.errorhandler(_LinkRefused)
def _refused(exc: _LinkRefused):  # noqa: ANN202
    # The same page for forged, altered and unknown links: no hint whether a customer exists.
    return error_response(exc.code)


def _link(token: str) -> Link:
    try:
        link = services().links.resolve(token)
    except LinkExpired:
        raise _LinkRefused(410) from None
    except LinkError:
        raise _LinkRefused(404) from None
    g.link_id = link.id  # the request log names the link, never the token
    return link


def _device() -> DeviceProfile:
    return pick_device(request.args.get("device"), request.headers.get("User-Agent"))


def _click() -> dict[str, Any]:
    location = request.args.get("location", "")
    return {"location": location} if _LOCATION.match(location) else {}


def _extras(link: Link, device: DeviceProfile) -> dict[str, Any]:
    """The made video's chapters and call to action (the renderer's side file), or {}."""
    path = services().renders.files(link, device).player
    try:
        return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return {}


def _public_status(token: str, link: Link, device: DeviceProfile, status: dict[str, Any]) -> dict[str, Any]:
    """The job's status as the page sees it: `playlist` is the stream's URL (or absent), never the
    job's yes/no, and a made video brings its file URLs, chapters and call to action."""
    public = {k: v for k, v in status.items() if k != "playlist"}
    if status.get("playlist"):
        public["playlist"] = url_for("player.hls", token=token, name=PLAYLIST, device=device.name)
    if status["status"] == "ready":
        public["video"] = url_for("player.video", token=token, device=device.name)
        public["captions"] = url_for("player.captions", token=token, device=device.name)
        extras = _extras(link, device)
        if extras.get("chapters"):
            public["chapters"] = url_for("player.chapters", token=token, device=device.name)
            public["chapterList"] = [{"title": c["title"], "start": c["start"], "scene": c["scene"]}
                                     for c in extras["chapters"]]
        if extras.get("cta"):
            public["cta"] = extras["cta"]
    return public


def _private(response: Response, policy: str) -> Response:
    response.headers["Cache-Control"] = policy
    response.headers["Referrer-Policy"] = "no-referrer"  # the token must not leak to other sites
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/v/<token>")
def page(token: str):  # noqa: ANN201
    link = _link(token)
    device = _device()
    status = _public_status(token, link, device, services().renders.start(link, device, _click()))
    page_data = {"token": token, "device": device.name, "beaconUrl": f"/v/{token}/beacon",
                 "statusUrl": url_for("player.status", token=token, device=device.name),
                 "retryUrl": url_for("player.retry", token=token, device=device.name),
                 "status": status}
    page_data.update({k: status[k] for k in ("duration", "video", "captions", "playlist") if k in status})
    html = render_template("pages/player.html", page=page_data, device=device, status=status,
                           brand=brand_for(link.story))
    return _private(Response(html, mimetype="text/html"), NO_STORE)


@bp.get("/v/<token>/status")
def status(token: str):  # noqa: ANN201
    link = _link(token)
    device = _device()
    result = services().renders.status(link, device)
    return _private(jsonify(_public_status(token, link, device, result)), NO_STORE)


@bp.post("/v/<token>/retry")
def retry(token: str):  # noqa: ANN201
    link = _link(token)
    device = _device()
    result = services().renders.start(link, device, _click(), retry=True)
    return _private(jsonify(_public_status(token, link, device, result)), NO_STORE)


@bp.get("/v/<token>/video.mp4")
def video(token: str):  # noqa: ANN201
    link = _link(token)
    path = services().renders.video_path(link, _device())
    if path is None:
        abort(404)
    # send_file answers Range requests with 206, and If-None-Match / If-Modified-Since with 304.
    response = send_file(path, mimetype="video/mp4", conditional=True, etag=True, max_age=86400)
    response.headers["Accept-Ranges"] = "bytes"
    return _private(response, PRIVATE_MEDIA)


@bp.get("/v/<token>/captions.vtt")
def captions(token: str):  # noqa: ANN201
    link = _link(token)
    path = services().renders.files(link, _device()).captions
    if not path.is_file():
        abort(404)
    return _private(send_file(path, mimetype="text/vtt", conditional=True, max_age=86400), PRIVATE_MEDIA)


@bp.get("/v/<token>/chapters.vtt")
def chapters(token: str):  # noqa: ANN201
    link = _link(token)
    found = _extras(link, _device()).get("chapters") or []
    if not found:
        abort(404)
    text = chapters_webvtt(tuple(Chapter(**c) for c in found))
    return _private(Response(text, mimetype="text/vtt"), PRIVATE_MEDIA)


@bp.get("/v/<token>/hls/<name>")
def hls(token: str, name: str):  # noqa: ANN201
    link = _link(token)
    device = _device()
    folder = services().renders.files(link, device).hls_dir
    if name == PLAYLIST:
        path = folder / PLAYLIST
        if not path.is_file():
            abort(404)
        # Segment names in the playlist are relative: the player must ask for them with the device.
        text = path.read_text(encoding="utf-8").replace(".ts\n", f".ts?device={device.name}\n")
        return _private(Response(text, mimetype="application/vnd.apple.mpegurl"), NO_STORE)  # it grows
    path = folder / name
    if not _SEGMENT.match(name) or not path.is_file():
        abort(404)
    response = send_file(path, mimetype="video/mp2t", conditional=True, max_age=86400)
    return _private(response, PRIVATE_MEDIA)  # a segment never changes once written
