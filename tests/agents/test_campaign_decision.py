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
