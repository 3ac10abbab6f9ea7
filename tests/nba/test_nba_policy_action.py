"""The policy action of `next_video`: judged on the customer's record in policies.json (the same
customer id as in customers.json), shown by `decide`, and rendered from a decision link with the
policy record (a real render of the policy story, embedded mode)."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import pytest
from nba_support import NOW, SECRET, seen_before
from sqlalchemy import Engine

from smartvideo.cli import main
from smartvideo.links import link_by_id, resolve_link
from smartvideo.nba import store
from smartvideo.render.devices import device_profile


def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, shared_cache: Path | None = None) -> Path:
    import os

    for name in list(os.environ):
        if name.startswith("SMARTVIDEO_") and name != "SMARTVIDEO_TEST_REDIS":
            monkeypatch.delenv(name)
    data = tmp_path / "data"
    monkeypatch.setenv("SMARTVIDEO_DATA_DIR", str(data))
    monkeypatch.setenv("SMARTVIDEO_SECRET_KEY", SECRET)
    if shared_cache is not None:
        monkeypatch.setenv("SMARTVIDEO_CACHE_DIR", str(shared_cache))
    return data


def test_decide_shows_the_policy_action_eligible_for_a_policy_holder_and_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _env(monkeypatch, tmp_path)
    assert main(["decide", "--decision", "next_video", "--customer", "C1001", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    policy = next(a for a in out["eligible"] if a["action"] == "policy")
    today = dt.date.today()
    if -60 <= (today - dt.date(2027, 1, 1)).days <= 0:  # the shipped renewal is 1 January 2027
        assert policy["eligible"] is True
        assert policy["reason"] == "eligible (judged on its record in data/policies.json)"
        assert policy["value"] == pytest.approx(24.5 * 12 * 0.1)
        # Named among the others, or first when it is the one chosen (exploration picks any eligible one).
        named = "'policy' (story policy_renewal)" if out["action"] == "policy" else "policy: "
        assert named in out["explanation"] and "judged on its record in data/policies.json" in out["explanation"]
        assert main(["decide", "--decision", "next_video", "--customer", "C1001"]) == 0
        row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("policy "))
        assert row.split()[1] == "yes" and row.endswith("eligible (judged on its record in data/policies.json)")
    else:
        assert policy["reason"].endswith("is false (judged on its record in data/policies.json)")
    assert main(["decide", "--decision", "next_video", "--customer", "C1004"]) == 0
    text = capsys.readouterr().out
    assert "no policy_renewal record for C1004 in data/policies.json" in text  # in the table and the why


def test_the_engine_reads_the_policy_record_with_the_same_customer_id(make_engine_for: Any, sql: Engine) -> None:
    engine = make_engine_for(sql)
    decision = engine.decision("next_video")
    records = engine.action_records(decision, "C1001")
    assert list(records) == ["policy"]  # the other stories read the decision's own file
    assert records["policy"].record["policy"]["number"] == "HC-2026-0042"
    choice = engine.decide("next_video", "C1001", now=NOW, log=False)
    assert next(s for s in choice.scores if s.action == "policy").eligible
    # A record handed over for the decision's file (`decide --data`) does not stand in for the policy record.
    other = {**engine.record("next_video", "C1001"), "policy": {"renewal_date": "2030-01-01", "premium": 1}}
    choice = engine.decide("next_video", "C1001", record=other, now=NOW, log=False)
    assert next(s for s in choice.scores if s.action == "policy").value == pytest.approx(24.5 * 12 * 0.1)


def test_a_customer_the_others_are_held_back_for_gets_the_policy_story(make_engine_for: Any, sql: Engine) -> None:
    from smartvideo.links import create_link

    seen_before(sql, "C1001", NOW - dt.timedelta(days=1))
    engine = make_engine_for(sql)
    link = create_link(sql, SECRET, "", "C1001", dt.timedelta(days=7), decision="next_video", now=NOW)
    chosen = engine.choose_for_link(link, SECRET, now=NOW)
    assert chosen.story == "policy_renewal"
    logged = store.decision_for_link(sql, link.id)
    assert logged is not None and (logged["action"], logged["story"]) == ("policy", "policy_renewal")


@pytest.mark.slow
def test_a_decision_link_renders_the_chosen_policy_story_with_the_policy_record(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, shared_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from smartvideo.jobs import render_rows
    from smartvideo.jobs.keys import job_key
    from smartvideo.web.app_factory import create_app

    data = _env(monkeypatch, tmp_path, shared_cache)
    assert main(["link", "--decision", "next_video", "--customer", "C1001"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1].rsplit("/", 1)[1]
    app = create_app({"data_dir": data, "cache_dir": shared_cache, "secret_key": SECRET, "broker_url": "",
                      "redis_url": "", "render_time_limit": 300})
    try:
        services = app.extensions["smartvideo"]
        link = resolve_link(services.engine, SECRET, token)
        assert link.undecided
        # Anna saw the other three videos yesterday: their contact policies hold them back now.
        # The click's choice is made at a fixed time (the shipped renewal is 1 January 2027).
        seen_before(services.engine, "C1001", NOW - dt.timedelta(days=1))
        link = services.renders.decisions.choose_for_link(link, SECRET, now=NOW)
        assert link.story == "policy_renewal"

        client = app.test_client()  # the click renders the chosen story, as for any link
        assert client.get(f"/v/{token}?device=lite").status_code == 200
        deadline = time.monotonic() + 300
        status = client.get(f"/v/{token}/status?device=lite").get_json()
        while status["status"] not in ("ready", "failed") and time.monotonic() < deadline:
            time.sleep(0.25)
            status = client.get(f"/v/{token}/status?device=lite").get_json()
        assert status["status"] == "ready", status
        row = render_rows.get_render(services.engine, job_key(link.id, "lite"))
        assert row.story == "policy_renewal"
        # policy_deductible is shown only when `policy.deductible > 0`: C1001's policy record says 250.
        assert [s["id"] for s in row.scenes] == ["policy_intro", "policy_cover", "policy_premium",
                                                 "policy_deductible", "policy_cta"]
        captions = client.get(status["captions"]).get_data(as_text=True)
        spoken = " ".join(captions.split())
        assert "From 1 January 2027 you pay" in spoken  # the renewal date and the reason, from the policy record
        assert "because repair costs after storms went up across the country" in spoken
        video = services.renders.video_path(link_by_id(services.engine, SECRET, link.id), device_profile("lite"))
        assert video is not None and Path(video).stat().st_size > 10_000
    finally:
        app.extensions["smartvideo"].close()
