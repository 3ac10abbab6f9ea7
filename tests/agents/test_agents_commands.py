"""`smartvideo agents ...` and `smartvideo campaign ...`, run as a user runs them (cli.main)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from agents_support import PUBLIC_URL, SECRET, read_csv

from smartvideo.cli import main


@pytest.fixture
def cli_env(tmp_path: Path, shared_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    for name, value in {
        "DATA_DIR": str(data),
        "SECRET_KEY": SECRET,
        "CACHE_DIR": str(shared_cache),
        "PUBLIC_URL": PUBLIC_URL,
    }.items():
        monkeypatch.setenv(f"SMARTVIDEO_{name}", value)
    return data


def engine(data: Path) -> Any:
    from smartvideo.storage.database import engine_for

    return engine_for(f"sqlite:///{data / 'smartvideo.db'}")


# ---- agents -------------------------------------------------------------------------------------


def test_agents_add_prints_the_key_once_and_list_never_shows_it(cli_env: Path, capsys: Any) -> None:
    from smartvideo.agents.keys import authenticate

    assert main(["agents", "add", "Carol"]) == 0
    out, err = capsys.readouterr()
    key = out.strip()
    assert key.startswith("sv_") and "only time" in err
    assert authenticate(engine(cli_env), key).name == "Carol"
    assert main(["agents", "list"]) == 0
    listing = capsys.readouterr().out
    assert "Carol" in listing and "active" in listing and key.split("_", 2)[2] not in listing


def test_agents_revoke_by_name_or_id(cli_env: Path, capsys: Any) -> None:
    from smartvideo.agents.errors import InvalidAgentKey
    from smartvideo.agents.keys import authenticate

    main(["agents", "add", "Dave"])
    key = capsys.readouterr().out.strip()
    assert main(["agents", "revoke", key.split("_")[1]]) == 0
    assert "revoked" in capsys.readouterr().out
    with pytest.raises(InvalidAgentKey):
        authenticate(engine(cli_env), key)
    assert main(["agents", "revoke", "Nobody"]) == 1
    assert "no active agent key" in capsys.readouterr().err
    main(["agents", "list", "--all"])
    assert "revoked" in capsys.readouterr().out


# ---- campaign -----------------------------------------------------------------------------------


def write_records(path: Path, records: list[Any]) -> Path:
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def test_campaign_skips_bad_records_and_writes_every_link(
    cli_env: Path, tmp_path: Path, smtp_server: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("SMARTVIDEO_SMTP_URL", smtp_server.url)
    data = write_records(
        tmp_path / "list.json",
        [
            {"id": "C1001"},
            {"name": "a record without an id"},
            {"id": "C9999", "customer": {"email": "ghost@example.com"}},
            {
                "id": "C1002",
                "customer": {"email": "max.new@example.com"},
            },  # the file's address wins
            {"id": "C1001"},
            "not a record",
        ],
    )
    out = tmp_path / "links.csv"
    code = main(
        [
            "campaign",
            "--story",
            "first_bill",
            "--data",
            str(data),
            "--channel",
            "email",
            "--out",
            str(out),
            "--name",
            "autumn",
            "-q",
        ]
    )
    err = capsys.readouterr().err
    assert code == 3  # finished, with records skipped
    rows = read_csv(out)
    assert [(r["row"], r["customer_id"], r["status"]) for r in rows] == [
        ("1", "C1001", "sent"),
        ("2", "", "skipped"),
        ("3", "C9999", "skipped"),
        ("4", "C1002", "sent"),
        ("5", "C1001", "skipped"),
        ("6", "", "skipped"),
    ]
    assert all(r["url"].startswith(f"{PUBLIC_URL}/v/") for r in rows if r["status"] == "sent")
    assert "unknown customer 'C9999'" in rows[2]["reason"] and "duplicate" in rows[4]["reason"]
    assert "skipped record 3 (C9999)" in err and "2 sent, 4 skipped" in err
    assert sorted(to for _, [to] in smtp_server.envelopes) == [
        "anna@example.com",
        "max.new@example.com",
    ]
    assert not out.with_name("links.csv.partial").exists()


def test_campaign_links_carry_the_campaign_name(cli_env: Path, tmp_path: Path) -> None:
    from sqlalchemy import select

    from smartvideo.links import links_table

    data = write_records(tmp_path / "list.json", [{"id": "C1001"}, {"id": "C1002"}])
    assert (
        main(
            [
                "campaign",
                "--story",
                "first_bill",
                "--data",
                str(data),
                "--channel",
                "none",
                "--out",
                str(tmp_path / "l.csv"),
                "--name",
                "winter",
                "-q",
            ]
        )
        == 0
    )
    with engine(cli_env).connect() as conn:
        rows = conn.execute(
            select(links_table.c.customer_id, links_table.c.campaign, links_table.c.created_by)
        ).all()
    assert sorted(rows) == [("C1001", "winter", rows[0][2]), ("C1002", "winter", rows[0][2])]
    assert rows[0][2].startswith("campaign:")


def test_campaign_from_csv_sends_sms_to_the_outbox(
    cli_env: Path, tmp_path: Path, capsys: Any
) -> None:
    data = tmp_path / "list.csv"
    data.write_text("id,customer.phone\nC1001,+31 6 11111111\nC1003,\n", encoding="utf-8")
    out = tmp_path / "links.csv"
    assert (
        main(
            [
                "campaign",
                "--story",
                "first_bill",
                "--data",
                str(data),
                "--channel",
                "sms",
                "--out",
                str(out),
                "-q",
            ]
        )
        == 0
    )
    sms = sorted((cli_env / "outbox").glob("*.sms.json"))
    assert len(sms) == 2
    texts = [json.loads(p.read_text()) for p in sms]
    assert {t["to"] for t in texts} >= {"+31611111111"}
    assert all(len(t["text"]) <= 160 and PUBLIC_URL in t["text"] for t in texts)


def test_campaign_with_an_unreadable_file_is_one_clear_error(
    cli_env: Path, tmp_path: Path, capsys: Any
) -> None:
    assert (
        main(
            [
                "campaign",
                "--story",
                "first_bill",
                "--data",
                str(tmp_path / "missing.json"),
                "--channel",
                "none",
            ]
        )
        == 1
    )
    assert "data file not found" in capsys.readouterr().err


def test_campaign_with_an_unknown_story_is_one_clear_error(
    cli_env: Path, tmp_path: Path, capsys: Any
) -> None:
    data = write_records(tmp_path / "list.json", [{"id": "C1001"}])
    assert main(["campaign", "--story", "nope", "--data", str(data), "--channel", "none"]) == 1
    assert "unknown story 'nope'" in capsys.readouterr().err
