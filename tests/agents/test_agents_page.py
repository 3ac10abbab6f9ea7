"""The agent page: key login, find a customer, preview the poster, send."""

from __future__ import annotations

import io
import re
from typing import Any

from PIL import Image

from smartvideo.agents import audit
from smartvideo.agents.keys import revoke


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match[1]


def login(client: Any, key: str) -> Any:
    token = csrf_of(client.get("/agent").get_data(as_text=True))
    return client.post("/agent/login", data={"key": key, "csrf": token})


def test_the_page_asks_for_a_key_first(client: Any) -> None:
    page = client.get("/agent")
    assert page.status_code == 200 and 'name="key"' in page.get_data(as_text=True)
    assert client.get("/agent/poster.jpg?customer=C1001&story=first_bill").status_code == 401


def test_a_wrong_key_is_refused(client: Any) -> None:
    response = login(client, "sv_aaaaaaaaaa_" + "A" * 43)
    assert response.status_code == 401 and "not valid" in response.get_data(as_text=True)


def test_login_keeps_only_the_key_id_in_the_session(client: Any, agent_key: str) -> None:
    assert login(client, agent_key).status_code == 302
    with client.session_transaction() as session:
        assert session["agent_key_id"] == agent_key.split("_")[1]
        assert agent_key not in str(dict(session))
    assert "Alice Agent" in client.get("/agent").get_data(as_text=True)


def test_find_a_customer_by_name_or_id(client: Any, agent_key: str) -> None:
    login(client, agent_key)
    page = client.get("/agent?q=anna").get_data(as_text=True)
    assert "C1001" in page and "de Vries" in page
    found = client.get("/agent/customers?q=C1002").get_json()["customers"]
    assert found[0]["id"] == "C1002" and set(found[0]) == {
        "id",
        "name",
        "email",
        "sms",
        "email_problem",
        "sms_problem",
        "stories",
    }
    assert "135.2" not in page  # the page shows who, not their bill


def test_preview_shows_the_posters_of_the_chosen_customer(client: Any, agent_key: str) -> None:
    login(client, agent_key)
    page = client.get("/agent?q=anna&customer=C1001&story=first_bill").get_data(as_text=True)
    assert "/agent/poster.jpg?customer=C1001" in page
    poster = client.get("/agent/poster.jpg?customer=C1001&story=first_bill")
    assert poster.mimetype == "image/jpeg" and Image.open(io.BytesIO(poster.data)).width == 1200
    assert client.get("/agent/poster.jpg?customer=C9999&story=first_bill").status_code == 422


def test_send_from_the_page_makes_the_link_and_audits_it(client: Any, agent_key: str, services: Any) -> None:
    login(client, agent_key)
    page = client.get("/agent?customer=C1001&story=first_bill").get_data(as_text=True)
    sent = client.post(
        "/agent/send",
        data={
            "csrf": csrf_of(page),
            "customer_id": "C1001",
            "story": "first_bill",
            "channel": "none",
        },
    )
    assert sent.status_code == 200
    assert "https://v.nova.example/v/" in sent.get_data(as_text=True)
    [entry] = audit.recent(services.engine)
    assert (entry.actor, entry.source, entry.customer_id, entry.outcome) == (
        "Alice Agent",
        "page",
        "C1001",
        "sent",
    )


def test_send_without_the_forms_token_is_refused(client: Any, agent_key: str, services: Any) -> None:
    login(client, agent_key)
    response = client.post("/agent/send", data={"customer_id": "C1001", "story": "first_bill", "channel": "none"})
    assert response.status_code == 400 and audit.recent(services.engine) == []


def test_a_bad_send_shows_the_reason(client: Any, agent_key: str) -> None:
    login(client, agent_key)
    token = csrf_of(client.get("/agent").get_data(as_text=True))
    response = client.post(
        "/agent/send",
        data={"csrf": token, "customer_id": "C1001", "story": "nope", "channel": "none"},
    )
    assert response.status_code == 422 and "unknown story" in response.get_data(as_text=True)


def test_a_revoked_key_is_logged_out_at_once(client: Any, agent_key: str, services: Any) -> None:
    login(client, agent_key)
    revoke(services.engine, "Alice Agent")
    assert 'name="key"' in client.get("/agent").get_data(as_text=True)
    assert client.get("/agent/customers?q=anna").status_code == 401
