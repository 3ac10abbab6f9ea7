"""Off-policy estimates, the decision report, and the decide / report / link commands."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from nba_support import NOW, SECRET, send_beacon
from sqlalchemy import Engine

from smartvideo.cli import main
from smartvideo.links import choose_story, create_link, link_by_id
from smartvideo.nba.evaluation import Logged, doubly_robust, greedy_policy, ips, logged_policy, uniform_policy
from smartvideo.nba.outcomes import learn_outcomes
from smartvideo.nba.report import decision_report, report_text


def _log() -> list[Logged]:
    """Uniform logging over a and b; a always pays 1, b never."""
    return [Logged({}, ("a", "b"), action, 0.5, 1.0 if action == "a" else 0.0, {"a": 1, "b": 1},
                   {"a": 0.5, "b": 0.5}) for action in ("a", "b") * 50]


def test_ips_recovers_the_value_of_other_policies() -> None:
    log = _log()
    assert ips(log, uniform_policy).value == pytest.approx(0.5)
    always_a = ips(log, lambda d: {"a": 1.0})
    assert always_a.value == pytest.approx(1.0) and always_a.low < 1.0 < always_a.high
    assert ips(log, lambda d: {"b": 1.0}).value == pytest.approx(0.0)
    assert ips(log, logged_policy).value == pytest.approx(0.5)


def test_doubly_robust_with_a_right_model_has_no_variance() -> None:
    def model(d: Logged) -> dict[str, float]:
        return {"a": 1.0, "b": 0.0}

    estimate = doubly_robust(_log(), greedy_policy(model), model)
    assert estimate.value == pytest.approx(1.0) and estimate.high - estimate.low == pytest.approx(0.0)
    wrong = doubly_robust(_log(), greedy_policy(model), lambda d: {"a": 0.2, "b": 0.6})
    assert wrong.value == pytest.approx(1.0)  # the propensities correct a wrong reward model


def _populate(db: Engine, make_engine_for: Callable, n: int = 40) -> None:
    """n customers like C1003 (all three actions eligible), each deciding once at a click."""
    engine = make_engine_for(db)
    record = engine.record("next_video", "C1003")
    for i in range(n):
        at = NOW - dt.timedelta(days=n - i)
        link = create_link(db, SECRET, "", f"X{i}", dt.timedelta(days=60), decision="next_video", now=at)
        choice = engine.decide("next_video", f"X{i}", record=record, link_id=link.id, now=at)
        choose_story(db, link.id, choice.story, choice.variant)
        link = link_by_id(db, SECRET, link.id, at)
        if link.story != "upgrade_offer":  # every video but the upgrade offer gets its CTA clicked
            send_beacon(db, link, [{"type": "cta", "t": 1.0}], view=f"view-{i:04d}")
        if i % 5 == 4:
            learn_outcomes(db, engine.decision("next_video"), at + dt.timedelta(days=3))
    learn_outcomes(db, engine.decision("next_video"), NOW + dt.timedelta(days=3))


def test_the_report_shows_rates_allocation_and_estimates(sql: Engine, make_engine_for: Callable) -> None:
    _populate(sql, make_engine_for)
    decision = make_engine_for(sql).decision("next_video")
    report = decision_report(sql, decision)
    assert report["decisions"] == report["learned"] == 40
    rates = {a["action"]: a for a in report["actions"]}
    assert rates["upgrade"]["decisions"] > 0 and rates["upgrade"]["reward_rate"] == 0.0
    assert rates["bill_explainer"]["reward_rate"] == 1.0
    assert rates["bill_explainer"]["ctas"] == rates["bill_explainer"]["decisions"]
    for action in rates:
        assert sum(row[action] for row in report["allocation"]) == rates[action]["decisions"]
    off = report["off_policy"]
    rewarded = sum(a["ctas"] for a in rates.values()) / 40
    assert off["in_force"]["ips"]["value"] == pytest.approx(rewarded, abs=1e-3)
    assert 0.2 < off["uniform"]["dr"]["value"] < 0.9  # one of three eligible actions never pays
    assert off["learned"]["dr"]["value"] > off["uniform"]["dr"]["value"]
    assert "off-policy estimates" in report_text(report)


def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SMARTVIDEO_DATABASE_URL", url)
    monkeypatch.setenv("SMARTVIDEO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SMARTVIDEO_SECRET_KEY", SECRET)
    return url


def test_decide_prints_the_agreed_json(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    _cli_env(monkeypatch, tmp_path)
    assert main(["decide", "--decision", "next_video", "--customer", "C1004", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["decision", "action", "story", "variant", "score", "propensity", "eligible", "explanation"]
    assert out["action"] == "bill_explainer" and out["propensity"] == 1.0
    assert list(out["eligible"][0]) == ["action", "eligible", "reason", "propensity_estimate", "value", "lever",
                                        "score"]
    assert main(["decide", "--decision", "next_video", "--customer", "C1002"]) == 0
    assert "upgrade" in capsys.readouterr().out


def test_decide_names_an_unknown_decision(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    _cli_env(monkeypatch, tmp_path)
    assert main(["decide", "--decision", "next", "--customer", "C1004"]) == 1
    assert "unknown decision 'next' (known: next_video)" in capsys.readouterr().err


def test_link_and_report_commands_for_a_decision(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _cli_env(monkeypatch, tmp_path)
    assert main(["link", "--decision", "next_video", "--customer", "C1001"]) == 0
    assert "/v/" in capsys.readouterr().out
    assert main(["link", "--decision", "next_video", "--customer", "C9999"]) == 1
    assert main(["report", "--decision", "next_video", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["decision"] == "next_video"
