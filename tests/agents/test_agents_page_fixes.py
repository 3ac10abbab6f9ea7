"""The agent page sends what it shows, finds any customer, shows bad contacts as bad; every API
attempt is audited; `serve` on a busy port says so in one line."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from typing import Any

from agents_support import PUBLIC_URL

API = "/api/v1/videos"


def login(client: Any, key: str) -> None:
    client.get("/agent")
    with client.session_transaction() as s:
        token = s.get("csrf")
    client.post("/agent/login", data={"key": key, "csrf": token})


def csrf(client: Any) -> str:
    with client.session_transaction() as s:
        return str(s.get("csrf"))


def selected(html: str, select_id: str) -> str:
    block = re.search(rf'<select id="{select_id}".*?</select>', html, re.S)
    assert block, select_id
    chosen = re.findall(r'<option value="([^"]+)"[^>]*?\bselected\b', block.group(0), re.S)
    assert len(chosen) == 1, chosen
    return chosen[0]


def test_the_story_shown_is_the_story_previewed_and_sent(
    client: Any, agent_key: str, services: Any
) -> None:
    from smartvideo.agents import audit

    login(client, agent_key)
    html = client.get("/agent?customer=C1001").get_data(as_text=True)
    story, channel = selected(html, "offer").split("|")  # one choice: the story and the channel
    assert f"story={story}" in html.split('id="poster"', 1)[1].split(">", 1)[0]
    assert channel == "email"  # email when there is one; SMS is not the default
    title = services.renderer.library.stories[story].title
    assert f"Sends “{title}” by email to a***@" in html
    response = client.post(
        "/agent/send",
        data={"customer_id": "C1001", "offer": f"{story}|none", "csrf": csrf(client)},
    )
    assert response.status_code == 200
    assert f"The link to “{title}” is ready" in response.get_data(as_text=True)
    entry = audit.recent(services.engine, 1)[0]
    assert (entry.story, entry.channel) == (story, "none")


def test_a_channel_the_customer_cannot_get_is_shown_with_why_and_cannot_be_chosen(
    client: Any, agent_key: str, services: Any
) -> None:
    from smartvideo.agents.customer_search import CustomerDirectory

    login(client, agent_key)
    directory = CustomerDirectory(services.renderer.library)
    without = next(h for h in directory._hits.values() if not h.has_phone or not h.has_email)  # noqa: SLF001
    html = client.get(f"/agent?customer={without.id}&channel=sms").get_data(as_text=True)
    missing = "SMS" if not without.has_phone else "email"
    group = re.search(rf'<optgroup label="By {missing}: not possible \(([^)]*)\)"[^>]*>', html)
    assert group and group.group(0).rstrip(">").endswith(" disabled"), html
    assert selected(html, "offer").split("|")[1] != ("sms" if missing == "SMS" else "email")


def test_search_ranks_whole_names_first_counts_matches_and_shows_more_on_request(
    client: Any, agent_key: str, services: Any
) -> None:
    from smartvideo.agents.customer_search import CustomerDirectory

    directory = CustomerDirectory(services.renderer.library)
    found = directory.search("anna")
    assert found.total >= 1 and found.hits[0].name.startswith("Anna")
    assert directory.search("C100", limit=1).total > 1  # the count is of all matches
    login(client, agent_key)
    body = client.get("/agent/customers?q=c10&limit=2").get_json()
    assert body["shown"] == 2 and body["count"] > 2
    html = client.get("/agent?q=c10&limit=2").get_data(as_text=True)
    assert f"{body['count']} customers match" in html and "Show more" in html


def test_an_invalid_phone_or_email_is_shown_with_its_value(tmp_path: Any) -> None:
    import json

    from smartvideo.agents.customer_search import CustomerDirectory
    from smartvideo.bench.campaign import customer_base
    from smartvideo.render.scene_loader import load_library

    root = customer_base(tmp_path / "content", 2)
    records = json.loads((root / "data" / "customers.json").read_text())
    records[0]["customer"]["phone"] = "06-12AB-34"
    records[1]["customer"]["email"] = "max@@example"
    (root / "data" / "customers.json").write_text(json.dumps(records))
    directory = CustomerDirectory(load_library(root))
    assert directory.get("B000001").phone_problem == "invalid: 06-12AB-34"  # type: ignore[union-attr]
    assert directory.get("B000002").email_problem == "invalid: max@@example"  # type: ignore[union-attr]


def test_every_api_attempt_is_audited_even_400_and_wrong_keys(
    client: Any, services: Any, agent_key: str
) -> None:
    from smartvideo.agents import audit

    wrong = agent_key[:-4] + "AAAA"
    client.post(API, json={"customer_id": "C1001", "story": "first_bill"})
    client.post(API, json={"customer_id": "C1001"}, headers={"Authorization": f"Bearer {wrong}"})
    client.post(API, data="{", headers={"Authorization": f"Bearer {agent_key}"})
    entries = audit.recent(services.engine)
    assert [(e.outcome, e.key_id is not None) for e in reversed(entries)] == [
        ("unauthorized", False),
        ("unauthorized", True),
        ("rejected", True),
    ]
    assert "400" in (entries[0].detail or "")


def test_serve_on_a_busy_port_says_so_in_one_line(tmp_path: Any) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = "import sys; from smartvideo.cli import main; sys.exit(main(sys.argv[1:]))"
        run = subprocess.run(
            [sys.executable, "-c", code, "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
            env={"SMARTVIDEO_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin",
                 "SMARTVIDEO_PUBLIC_URL": PUBLIC_URL},
        )
    assert run.returncode == 1
    assert f"error: cannot listen on 127.0.0.1:{port}: the port is already in use" in run.stderr
    assert "Traceback" not in run.stderr
