"""Links as the customer meets them: forged, altered, unknown and expired tokens, devices, health."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from smartvideo.render.devices import pick_device


def _forgeries(token: str) -> list[str]:
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    other_id = ("x" if token[0] != "x" else "y") + token[1:]
    return [flipped, other_id, token[:-3], token + "AAA", "not-a-token", "A" * len(token)]


def test_forged_altered_and_malformed_tokens_get_one_friendly_404_page(embedded_app, make_link) -> None:  # noqa: ANN001
    client = embedded_app.test_client()
    link = make_link(embedded_app)
    bodies = set()
    for token in _forgeries(link.token):
        response = client.get(f"/v/{token}")
        assert response.status_code == 404, token
        html = response.get_data(as_text=True)
        assert "This link does not work" in html and "Traceback" not in html
        bodies.add(html)
    assert len(bodies) == 1  # nothing in the answer tells one forgery from another


def test_a_link_to_an_unknown_customer_looks_like_any_working_link_until_rendered(embedded_app, make_link) -> None:  # noqa: ANN001
    # A genuine token for a customer id with no record is a failed render, never a different page.
    link = make_link(embedded_app, customer="NOBODY")
    assert embedded_app.test_client().get(f"/v/{link.token}?device=lite").status_code == 200


def test_an_expired_link_gets_a_friendly_410_page(embedded_app, make_link) -> None:  # noqa: ANN001
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    link = make_link(embedded_app, ttl=dt.timedelta(days=7), now=past)
    client = embedded_app.test_client()
    response = client.get(f"/v/{link.token}")
    assert response.status_code == 410 and "This video has expired" in response.get_data(as_text=True)
    for path in ("status", "video.mp4", "captions.vtt", "hls/index.m3u8"):
        assert client.get(f"/v/{link.token}/{path}").status_code == 410, path


def test_status_of_a_forged_token_is_a_json_404(embedded_app) -> None:  # noqa: ANN001
    response = embedded_app.test_client().get("/v/" + "A" * 23 + "/status")
    assert response.status_code == 404 and response.get_json() == {"error": "This link does not work", "status": 404}


def test_the_token_holds_no_customer_id(embedded_app, make_link) -> None:  # noqa: ANN001
    link = make_link(embedded_app, customer="T1")
    assert "T1" not in link.token and re.fullmatch(r"[A-Za-z0-9_-]{23}", link.token)


@pytest.mark.parametrize("query, agent, expected", [
    ("square", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1", "square"),
    (None, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1", "portrait"),
    (None, "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36", "portrait"),
    (None, "Opera/9.80 (J2ME/MIDP; Opera Mini/9.80)", "lite"),
    (None, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36", "landscape"),
    ("tv", "Mozilla/5.0 (X11; Linux x86_64)", "landscape"),
])
def test_the_device_comes_from_the_query_else_the_user_agent(query, agent, expected) -> None:  # noqa: ANN001
    assert pick_device(query, agent).name == expected


def test_the_page_names_the_device_it_picked_from_the_user_agent(embedded_app, make_link) -> None:  # noqa: ANN001
    embedded_app.extensions["smartvideo"].renders._runner = _NullRunner()  # noqa: SLF001 - page only, no render
    link = make_link(embedded_app)
    page = embedded_app.test_client().get(f"/v/{link.token}", headers={
        "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1"})
    html = page.get_data(as_text=True)
    assert '"device": "portrait"' in html and "Preparing your video" in html and 'data-state="queued"' in html


class _NullRunner:
    name = "null"

    def submit(self, job) -> None:  # noqa: ANN001
        pass

    def ping(self) -> bool:
        return True


def test_healthz_in_embedded_mode(embedded_app) -> None:  # noqa: ANN001
    response = embedded_app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "mode": "embedded", "checks": {
        "database": "ok", "locks": "ok", "queue": "ok", "media": "ok"}}


@pytest.mark.redis
def test_healthz_in_scaled_mode_checks_redis_and_the_broker(web_config, redis_url) -> None:  # noqa: ANN001
    from smartvideo.web.app_factory import create_app

    application = create_app({**web_config, "broker_url": redis_url})
    response = application.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json()["mode"] == "scaled"
    broken = create_app({**web_config, "broker_url": "redis://127.0.0.1:1/0"})
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["checks"]["locks"].startswith("failing")


def test_production_without_a_secret_refuses_to_start(web_config, monkeypatch) -> None:  # noqa: ANN001
    from smartvideo.config import ConfigError
    from smartvideo.web.app_factory import create_app

    monkeypatch.delenv("SMARTVIDEO_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({**web_config, "secret_key": "", "env": "production"})


def test_app_py_builds_the_app_for_flask_and_gunicorn(web_config, monkeypatch) -> None:  # noqa: ANN001
    import app as entry

    for name, value in web_config.items():
        monkeypatch.setenv(f"SMARTVIDEO_{name.upper()}", str(value))
    assert entry.create_app().name == "smartvideo" and entry.app.name == "smartvideo"
