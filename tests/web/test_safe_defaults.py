"""Safe by default: security headers on every response, malformed bodies are 4xx, no token in logs."""

from __future__ import annotations

import logging

import pytest


def test_every_response_carries_a_csp_without_inline_script_and_nosniff(embedded_app, make_link) -> None:  # noqa: ANN001
    client = embedded_app.test_client()
    link = make_link(embedded_app)
    for path in (f"/v/{link.token}?device=lite", f"/v/{link.token}/status?device=lite", "/v/forged", "/healthz"):
        response = client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'self'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_player_page_has_no_inline_script_and_carries_its_data_as_json(embedded_app, make_link) -> None:  # noqa: ANN001
    client = embedded_app.test_client()
    html = client.get(f"/v/{make_link(embedded_app).token}?device=lite").get_data(as_text=True)
    assert '<script type="application/json" id="smartvideo-config">' in html
    assert "<script>" not in html and "window.smartvideo =" not in html


def test_frame_ancestors_are_configurable_for_customers_who_embed_the_player(web_config) -> None:  # noqa: ANN001
    from smartvideo.web.app_factory import create_app

    app = create_app({**web_config, "frame_ancestors": "https://portal.example"})
    response = app.test_client().get("/healthz")
    assert "frame-ancestors https://portal.example" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers  # it cannot name another site
    app.extensions["smartvideo"].close()


@pytest.mark.parametrize("body", [b"[" * 60_000, b"{" * 60_000, b"\xff\xfe", b"", b'{"view": '])
def test_a_malformed_beacon_body_is_a_4xx_never_a_traceback(embedded_app, make_link, caplog, body) -> None:  # noqa: ANN001
    client = embedded_app.test_client()
    link = make_link(embedded_app)
    with caplog.at_level(logging.INFO):
        response = client.post(f"/v/{link.token}/beacon", data=body, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


def test_deeply_nested_json_read_by_any_view_is_a_400_not_a_recursion_error(embedded_app) -> None:  # noqa: ANN001
    from flask import request
    from werkzeug.exceptions import BadRequest

    with embedded_app.test_request_context("/api/v1/videos", method="POST", data=b"[" * 60_000,
                                           content_type="application/json"):
        assert request.get_json(silent=True) is None
        with pytest.raises(BadRequest):
            request.get_json()


def test_request_log_lines_name_the_link_not_the_token(embedded_app, make_link, caplog) -> None:  # noqa: ANN001
    client = embedded_app.test_client()
    link = make_link(embedded_app)
    with caplog.at_level(logging.INFO, logger="smartvideo"):
        client.get(f"/v/{link.token}/status?device=lite")
    lines = [r.getMessage() for r in caplog.records if r.name == "smartvideo.requests"]
    assert any(f"[link {link.id}]" in line and " 200 " in line for line in lines), lines
    assert not any(link.token in r.getMessage() for r in caplog.records)


def test_pages_wear_the_storys_brand_logo_and_colours(embedded_app, make_link) -> None:  # noqa: ANN001
    client = embedded_app.test_client()
    html = client.get(f"/v/{make_link(embedded_app).token}?device=lite").get_data(as_text=True)
    assert 'href="/brand/nova.css"' in html and 'src="/brand/nova/logo"' in html
    assert "--navy: #0B1F4B;" in client.get("/brand/nova.css").get_data(as_text=True)
    assert client.get("/brand/nova/logo").mimetype == "image/png"
    assert client.get("/brand/nope.css").status_code == 404
    error_page = client.get("/v/forged-token").get_data(as_text=True)
    assert 'src="/brand/nova/logo"' in error_page  # one theme in the content: the house brand


def test_no_page_template_carries_inline_script() -> None:
    """The CSP allows scripts from 'self' only: an inline <script> would silently not run."""
    import re
    from pathlib import Path

    pages = Path(__file__).resolve().parents[2] / "templates" / "pages"
    inline = []
    for page in sorted(pages.glob("*.html")):
        for tag in re.findall(r"<script\b[^>]*>", page.read_text(encoding="utf-8")):
            if "src=" not in tag and 'type="application/json"' not in tag:
                inline.append(f"{page.name}: {tag}")
    assert inline == []
