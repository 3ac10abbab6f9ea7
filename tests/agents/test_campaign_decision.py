"""A campaign may name a decision instead of a story: each customer is invited to the video the
next-best-action engine picks for them, the choice is logged with the link, and a re-run keeps it.
Against a real local SMTP server, with the shipped `next_video` decision and sample customers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from agents_support import PUBLIC_URL, SECRET, read_csv
from sqlalchemy import select

from smartvideo.cli import main


@pytest.fixture
def env(tmp_path: Path, shared_cache: Path, monkeypatch: pytest.MonkeyPatch, smtp_server: Any) -> Path:
    data = tmp_path / "data"
    for name, value in {"DATA_DIR": str(data), "SECRET_KEY": SECRET, "CACHE_DIR": str(shared_cache),
                        "PUBLIC_URL": PUBLIC_URL, "SMTP_URL": smtp_server.url}.items():
        monkeypatch.setenv(f"SMARTVIDEO_{name}", value)
    return data


def run(data_file: Path, out: Path) -> int:
    return main(["campaign", "--decision", "next_video", "--data", str(data_file), "--channel", "email",
                 "--name", "best", "--out", str(out), "-q"])


def test_a_decision_campaign_sends_each_customer_the_chosen_video_once(
    env: Path, tmp_path: Path, smtp_server: Any, capsys: Any
) -> None:
    from smartvideo.links import links_table
    from smartvideo.nba.store import decisions_table
    from smartvideo.storage.database import engine_for

    customers = tmp_path / "customers.json"
    customers.write_text(json.dumps([{"id": c} for c in ("C1001", "C1002", "C1003", "C1004")]), "utf-8")
    out = tmp_path / "links.csv"
    run(customers, out)
    rows = read_csv(out)
    sent = [r for r in rows if r["status"] == "sent"]
    assert sent, rows
    assert len(smtp_server.envelopes) == len(sent)

    engine = engine_for(f"sqlite:///{env / 'smartvideo.db'}")
    with engine.connect() as conn:
        links = {r.id: r for r in conn.execute(select(links_table))}
        logged = {r.link_id: r for r in conn.execute(select(decisions_table))}
    for row in sent:
        link = links[row["link_id"]]
        assert link.campaign == "best" and link.story in {"first_bill", "upgrade_offer", "welcome", "policy_renewal"}
        assert logged[link.id].story == link.story  # the choice is logged with its link
        assert logged[link.id].customer_id == row["customer_id"]

    capsys.readouterr()
    run(customers, out)
    assert len(smtp_server.envelopes) == len(sent)  # resumed: nobody invited twice
    assert read_csv(out) == rows


def test_a_decision_campaign_sends_a_policy_holder_the_policy_story(
    env: Path, tmp_path: Path, smtp_server: Any
) -> None:
    """Anna (C1001) is in customers.json and, with the same id, in policies.json. With the other
    three videos shown to her yesterday (their contact policies hold them back) the decision picks
    the policy story, and the invitation is checked and made on her policy record. The shipped
    renewal is 1 January 2027: the policy action applies in the 60 days before it."""
    import datetime as dt

    from sqlalchemy import insert

    from smartvideo.links import links_table
    from smartvideo.nba.store import decisions_table
    from smartvideo.storage.database import engine_for, upgrade_schema

    engine = engine_for(f"sqlite:///{env / 'smartvideo.db'}")
    upgrade_schema(engine)
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    with engine.begin() as conn:
        for n, (action, story) in enumerate({"bill_explainer": "first_bill", "upgrade": "upgrade_offer",
                                             "welcome": "welcome"}.items()):
            conn.execute(insert(decisions_table).values(
                id=f"seen{n}", decision="next_video", customer_id="C1001", link_id=f"seen{n}", action=action,
                story=story, score=1.0, propensity=1.0, explored=False, actions="[]", features="{}", scores="[]",
                created_at=yesterday))
    customers = tmp_path / "customers.json"
    customers.write_text(json.dumps([{"id": "C1001"}]), "utf-8")
    out = tmp_path / "links.csv"
    run(customers, out)
    [row] = read_csv(out)
    assert row["status"] == "sent", row
    with engine.connect() as conn:
        link = conn.execute(select(links_table).where(links_table.c.id == row["link_id"])).one()
        logged = conn.execute(select(decisions_table).where(decisions_table.c.link_id == link.id)).one()
    assert (link.story, logged.action) == ("policy_renewal", "policy")
    [message] = smtp_server.messages
    assert message["To"] == "anna@example.com"
    assert message["Subject"] == "Anna, your personal video: Your policy renewal, explained"
