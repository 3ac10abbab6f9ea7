"""Deciding at the click and for agents, through the real app (scaled mode on real Redis, no
worker: the render stays queued, so no video is made)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from nba_support import SECRET, add_planned_render, seen_before

from smartvideo.links import create_link, link_by_id, parse_ttl
from smartvideo.nba import store


@pytest.fixture
def app(tmp_path: Path, shared_cache: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in list(os.environ):
        if name.startswith("SMARTVIDEO_") and name != "SMARTVIDEO_TEST_REDIS":
            monkeypatch.delenv(name)
    from smartvideo.web.app_factory import create_app

    application = create_app({"data_dir": tmp_path / "data", "cache_dir": shared_cache, "secret_key": SECRET,
                              "redis_url": redis_url, "broker_url": redis_url, "link_ttl": "7d"})
    application.config["TESTING"] = True
    yield application
    application.extensions["smartvideo"].close()


@pytest.fixture
def services(app: Any) -> Any:
    return app.extensions["smartvideo"]


@pytest.mark.redis
def test_a_decision_link_gets_its_story_at_the_first_click_and_keeps_it(app: Any, services: Any) -> None:
    link = create_link(services.engine, SECRET, "", "C1002", parse_ttl("7d"), decision="next_video")
    client = app.test_client()
    assert client.get(f"/v/{link.token}?device=portrait").status_code == 200
    chosen = link_by_id(services.engine, SECRET, link.id)
    assert chosen.story in ("first_bill", "upgrade_offer")  # C1002 is not new: no welcome
    logged = store.decision_for_link(services.engine, link.id)
    assert logged is not None and logged["story"] == chosen.story
    assert '"device": "portrait"' in logged["features"] and '"channel": "none"' in logged["features"]
    for _ in range(3):
        assert client.get(f"/v/{link.token}").status_code == 200
    assert link_by_id(services.engine, SECRET, link.id).story == chosen.story
    assert len(store.logged_decisions(services.engine, "next_video")) == 1


@pytest.mark.redis
def test_a_first_click_is_answered_without_building_the_content_library(app: Any, services: Any) -> None:
    """Scaled mode: the web process renders nothing, so it never loads scenes, themes and voices;
    a link of an adaptive story still gets its variant at the first click."""
    client = app.test_client()
    adaptive = create_link(services.engine, SECRET, "upgrade_offer", "C1001", parse_ttl("7d"))
    fixed = create_link(services.engine, SECRET, "first_bill", "C1004", parse_ttl("7d"))
    for link in (adaptive, fixed):
        page = client.get(f"/v/{link.token}?device=portrait")
        assert page.status_code == 200
        assert client.get(f"/v/{link.token}/status?device=portrait").get_json()["status"] == "queued"
    css = re.search(r'href="(/brand/[a-z_]+\.css)"', page.get_data(as_text=True))
    assert css is not None and client.get(css.group(1)).status_code == 200  # the page's theme, as a browser asks
    assert link_by_id(services.engine, SECRET, adaptive.id).variant in ("full", "short")
    assert link_by_id(services.engine, SECRET, fixed.id).variant is None
    assert services.renders.ctx._renderer is None  # the library (and the voices) were never loaded


@pytest.mark.redis
def test_the_api_makes_a_link_for_the_best_video(app: Any, services: Any) -> None:
    from smartvideo.agents.keys import issue_key

    auth = {"Authorization": f"Bearer {issue_key(services.engine, 'Alice Agent').plaintext}"}
    client = app.test_client()
    answer = client.post("/api/v1/videos", json={"customer_id": "C1004", "decision": "next_video"}, headers=auth)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["decision"]["action"] == "bill_explainer" and body["decision"]["explanation"]
    assert link_by_id(services.engine, SECRET, body["link_id"]).story == "first_bill"
    assert store.decision_for_link(services.engine, body["link_id"]) is not None
    unknown = client.post("/api/v1/videos", json={"customer_id": "C1004", "decision": "nope"}, headers=auth)
    assert unknown.status_code == 422 and unknown.get_json()["field"] == "decision"


@pytest.mark.redis
def test_the_agent_page_offers_the_best_video_and_says_why(app: Any, services: Any) -> None:
    from smartvideo.agents.keys import issue_key

    client = app.test_client()
    key = issue_key(services.engine, "Alice Agent").plaintext
    with client.session_transaction() as session:
        session["csrf"] = "t"
    client.post("/agent/login", data={"key": key, "csrf": "t"})
    page = client.get("/agent?customer=C1004").get_data(as_text=True)
    assert 'value="decision:next_video|email"' in page and "Best video for this customer" in page
    sent = client.post("/agent/send", data={"customer_id": "C1004", "story": "decision:next_video",
                                            "channel": "none", "csrf": _csrf(client)})
    text = sent.get_data(as_text=True)
    assert sent.status_code == 200, text
    assert "Best video: <strong>first_bill</strong>" in text
    assert "usage.data_used_gb / plan.data_gb &gt;= 0.8" in text


@pytest.mark.redis
def test_the_best_video_for_a_policy_holder_can_be_the_policy_story(app: Any, services: Any) -> None:
    """The API and the page check the push on the policy record (policies.json, the same customer id),
    as the click's render will read it. The shipped renewal is 1 January 2027: in its 60 days before."""
    import datetime as dt

    from smartvideo.agents.keys import issue_key

    seen_before(services.engine, "C1001", dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    auth = {"Authorization": f"Bearer {issue_key(services.engine, 'Alice Agent').plaintext}"}
    client = app.test_client()
    answer = client.post("/api/v1/videos", json={"customer_id": "C1001", "decision": "next_video"}, headers=auth)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["decision"]["action"] == "policy" and body["decision"]["story"] == "policy_renewal"
    assert "judged on its record in data/policies.json" in str(body["decision"]["eligible"])
    assert link_by_id(services.engine, SECRET, body["link_id"]).story == "policy_renewal"
    # That link counts as a contact: now every action is held back for her.
    again = client.post("/api/v1/videos", json={"customer_id": "C1001", "decision": "next_video"}, headers=auth)
    assert again.status_code == 422 and "policy: cool-down: shown 0.0 days ago" in again.get_json()["error"]


@pytest.mark.redis
def test_the_agent_page_sends_the_policy_story_as_the_best_video(app: Any, services: Any) -> None:
    import datetime as dt

    from smartvideo.agents.keys import issue_key

    seen_before(services.engine, "C1001", dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    client = app.test_client()
    key = issue_key(services.engine, "Bob Agent").plaintext
    with client.session_transaction() as session:
        session["csrf"] = "t"
    client.post("/agent/login", data={"key": key, "csrf": "t"})
    assert 'value="decision:next_video|email"' in client.get("/agent?customer=C1001").get_data(as_text=True)
    poster = client.get("/agent/poster.jpg?customer=C1001&story=decision:next_video")
    assert poster.status_code == 200 and poster.mimetype == "image/jpeg"
    sent = client.post("/agent/send", data={"customer_id": "C1001", "story": "decision:next_video",
                                            "channel": "email", "csrf": _csrf(client)})
    text = sent.get_data(as_text=True)
    assert sent.status_code == 200, text
    assert "Best video: <strong>policy_renewal</strong>" in text


def _csrf(client: Any) -> str:
    with client.session_transaction() as session:
        return str(session.get("csrf") or session.get("_csrf") or "")


@pytest.mark.redis
def test_a_cta_posted_by_the_player_is_learned(app: Any, services: Any) -> None:
    import datetime as dt

    from smartvideo.nba.outcomes import learn_outcomes

    link = create_link(services.engine, SECRET, "", "C1003", parse_ttl("7d"), decision="next_video")
    client = app.test_client()
    assert client.get(f"/v/{link.token}?device=portrait").status_code == 200
    add_planned_render(services.engine, link_by_id(services.engine, SECRET, link.id), "portrait")  # as a worker would
    beacon = {"view": "view-web-0001", "seq": 0, "device": "portrait",
              "events": [{"type": "open"}, {"type": "cta", "t": 1.5}]}
    assert client.post(f"/v/{link.token}/beacon", json=beacon).status_code == 200
    decision = services.renders.decisions.decision("next_video")
    assert learn_outcomes(services.engine, decision, dt.datetime.now(dt.UTC)).learned == 1
    row = store.decision_for_link(services.engine, link.id)
    assert row is not None and (row["outcome"], row["reward"]) == ("cta", 1.0)
