"""POST /api/v1/videos through the real app: keys, reasons, rate limits, audit, channels."""

from __future__ import annotations

from typing import Any

import pytest
from agents_support import PUBLIC_URL, SECRET
from sqlalchemy import select

from smartvideo.agents import audit
from smartvideo.agents.keys import issue_key, revoke
from smartvideo.agents.tables import audit_log_table
from smartvideo.links import links_table, resolve_link

API = "/api/v1/videos"
BODY = {"customer_id": "C1001", "story": "first_bill", "channel": "none", "prerender": False}


def audit_rows(services: Any) -> list[Any]:
    with services.engine.connect() as conn:
        return conn.execute(select(audit_log_table).order_by(audit_log_table.c.id)).all()


# ---- authentication ------------------------------------------------------------------------------


def test_no_key_is_401_json(client: Any) -> None:
    response = client.post(API, json=BODY)
    assert response.status_code == 401
    assert response.get_json() == {"error": "missing or invalid API key"}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("key", ["nonsense", "sv_aaaaaaaaaa_" + "A" * 43, "Bearer sv_"])
def test_malformed_or_unknown_key_is_401(client: Any, key: str) -> None:
    response = client.post(API, json=BODY, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401
    assert response.is_json


def test_right_key_id_with_wrong_secret_is_401(client: Any, agent_key: str) -> None:
    forged = agent_key[:-4] + ("AAAA" if not agent_key.endswith("AAAA") else "BBBB")
    assert client.post(API, json=BODY, headers={"X-API-Key": forged}).status_code == 401


def test_revoked_key_is_401(client: Any, services: Any, agent_key: str) -> None:
    revoke(services.engine, "Alice Agent")
    assert client.post(API, json=BODY, headers={"X-API-Key": agent_key}).status_code == 401


def test_key_is_accepted_as_bearer_or_x_api_key(client: Any, agent_key: str) -> None:
    assert (
        client.post(API, json=BODY, headers={"Authorization": f"Bearer {agent_key}"}).status_code
        == 201
    )
    assert client.post(API, json=BODY, headers={"X-API-Key": agent_key}).status_code == 201


def test_keys_are_stored_hashed(services: Any, agent_key: str) -> None:
    from smartvideo.agents.tables import agent_keys_table

    secret = agent_key.split("_", 2)[2]
    with services.engine.connect() as conn:
        row = conn.execute(select(agent_keys_table)).one()
    assert secret not in row.secret_hash and row.secret_hash.startswith("scrypt$")


# ---- the push ------------------------------------------------------------------------------------


def test_push_makes_a_signed_link_for_the_customer(
    client: Any, services: Any, auth: dict[str, str]
) -> None:
    response = client.post(API, json=BODY, headers=auth)
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "on_click" and body["channel"] == "none"
    assert body["url"].startswith(f"{PUBLIC_URL}/v/")
    link = resolve_link(services.engine, SECRET, body["url"].rsplit("/", 1)[1])
    assert (link.id, link.customer_id, link.story, link.created_by) == (
        body["link_id"],
        "C1001",
        "first_bill",
        "Alice Agent",
    )


def test_variant_is_stored_with_the_link(client: Any, services: Any, auth: dict[str, str]) -> None:
    body = client.post(API, json={**BODY, "variant": "B"}, headers=auth).get_json()
    with services.engine.connect() as conn:
        variant = conn.execute(
            select(links_table.c.variant).where(links_table.c.id == body["link_id"])
        ).scalar()
    assert variant == "B"


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"story": "no_such_story"}, "story", "unknown story 'no_such_story'"),
        ({"customer_id": "C9999"}, "customer_id", "unknown customer 'C9999'"),
        ({"variant": "Z"}, "variant", "has no variant 'Z'"),
        ({"channel": "pigeon"}, "channel", "channel must be one of"),
        ({"prerender": "yes"}, "prerender", "prerender must be true or false"),
        ({"customer_id": None}, "customer_id", "customer_id is required"),
        ({"bill_total": 12}, "bill_total", "unknown field"),
    ],
)
def test_a_bad_push_is_422_with_the_reason(
    client: Any, auth: dict[str, str], change: dict[str, Any], field: str, words: str
) -> None:
    response = client.post(API, json={**BODY, **change}, headers=auth)
    assert response.status_code == 422
    assert response.get_json()["field"] == field
    assert words in response.get_json()["error"]


def test_a_body_that_is_not_json_is_400_json(client: Any, auth: dict[str, str]) -> None:
    response = client.post(API, data="customer_id=C1001", headers=auth)
    assert response.status_code == 400 and "JSON" in response.get_json()["error"]


def test_wrong_method_is_json_too(client: Any) -> None:
    response = client.get(API)
    assert response.status_code == 405 and response.is_json


# ---- rate limits (real Redis) --------------------------------------------------------------------


def test_each_key_is_rate_limited_in_redis(
    client: Any, services: Any, auth: dict[str, str], redis_url: str
) -> None:
    import redis

    statuses = [client.post(API, json=BODY, headers=auth).status_code for _ in range(6)]
    assert statuses == [201] * 5 + [429]  # RATE is 5/minute
    limited = client.post(API, json=BODY, headers=auth)
    assert limited.status_code == 429 and "rate limit" in limited.get_json()["error"]
    assert int(limited.headers["Retry-After"]) > 0
    # Another agent's key has its own allowance.
    other = issue_key(services.engine, "Bob").plaintext
    assert client.post(API, json=BODY, headers={"X-API-Key": other}).status_code == 201
    # The counts live in the real Redis the app was configured with, keyed by key id only.
    keys = [k.decode() for k in redis.Redis.from_url(redis_url).keys("*smartvideo-agents*")]
    assert len(keys) == 2 and all("sv_" not in k for k in keys)
    assert [row.outcome for row in audit_rows(services)].count("rate_limited") == 2


def test_requests_without_a_key_do_not_spend_an_agents_allowance(
    client: Any, auth: dict[str, str]
) -> None:
    for _ in range(10):
        assert client.post(API, json=BODY).status_code == 401
    assert client.post(API, json=BODY, headers=auth).status_code == 201


# ---- the audit log -------------------------------------------------------------------------------


def test_every_push_is_audited_without_record_data(
    client: Any, services: Any, auth: dict[str, str], agent_key: str
) -> None:
    ok = client.post(API, json=BODY, headers=auth).get_json()
    client.post(API, json={**BODY, "customer_id": "C9999"}, headers=auth)
    rows = audit_rows(services)
    assert [(r.actor, r.source, r.customer_id, r.story, r.outcome) for r in rows] == [
        ("Alice Agent", "api", "C1001", "first_bill", "sent"),
        ("Alice Agent", "api", "C9999", "first_bill", "rejected"),
    ]
    assert rows[0].link_id == ok["link_id"] and rows[0].key_id == agent_key.split("_")[1]
    assert rows[0].at is not None and "unknown customer" in rows[1].detail
    # Who, when, which customer and story: no bill data, names or addresses anywhere in the log.
    text = " ".join(str(v) for row in rows for v in row)
    for personal in ("135.2", "Anna", "anna@example.com", "+31612345678", "Roaming"):
        assert personal not in text


def test_recent_reads_the_log_newest_first(
    client: Any, services: Any, auth: dict[str, str]
) -> None:
    client.post(API, json=BODY, headers=auth)
    client.post(API, json={**BODY, "customer_id": "C1002"}, headers=auth)
    assert [e.customer_id for e in audit.recent(services.engine, 10)] == ["C1002", "C1001"]


def test_without_redis_the_limit_is_kept_in_memory(app_config: dict[str, Any]) -> None:
    from smartvideo.web.app_factory import create_app

    application = create_app({**app_config, "redis_url": ""})
    try:
        assert application.extensions["smartvideo.agents"].rate_limit.storage == "memory"
        key = issue_key(application.extensions["smartvideo"].engine, "Eve").plaintext
        client = application.test_client()
        statuses = [
            client.post(API, json=BODY, headers={"X-API-Key": key}).status_code for _ in range(6)
        ]
        assert statuses[-1] == 429 and statuses.count(201) == 5
    finally:
        application.extensions["smartvideo"].close()
