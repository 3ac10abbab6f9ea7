"""Deciding at the click, learning from real beacon events, and the model surviving restarts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from nba_support import NOW, SECRET, send_beacon
from sqlalchemy import Engine, select

from smartvideo.links import create_link, link_by_id
from smartvideo.nba import store
from smartvideo.nba.arbitration import NoEligibleAction
from smartvideo.nba.engine import DecisionEngine
from smartvideo.nba.outcomes import learn_outcomes
from smartvideo.storage.database import make_engine, upgrade_schema

WEEK = dt.timedelta(days=7)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, sql: Engine) -> Engine:
    if request.param == "sqlite":
        return sql
    engine = make_engine(request.getfixturevalue("postgres_url"))
    upgrade_schema(engine)
    request.addfinalizer(engine.dispose)
    return engine


def _clicked_link(db: Engine, engine: DecisionEngine, customer: str = "C1003", at: dt.datetime = NOW):  # noqa: ANN202
    link = create_link(db, SECRET, "", customer, WEEK, decision="next_video", now=at - dt.timedelta(minutes=1))
    assert link.undecided
    return engine.choose_for_link(link, SECRET, now=at)


def test_the_first_click_chooses_the_story_and_the_link_keeps_it(db: Engine, make_engine_for: Callable) -> None:
    engine = make_engine_for(db)
    chosen = _clicked_link(db, engine)
    assert chosen.story in {"first_bill", "upgrade_offer", "welcome"} and not chosen.undecided
    again = engine.choose_for_link(link_by_id(db, SECRET, chosen.id), SECRET, now=NOW)
    assert (again.story, again.variant) == (chosen.story, chosen.variant)
    row = store.decision_for_link(db, chosen.id)
    assert row is not None and row["story"] == chosen.story and 0 < row["propensity"] <= 1
    assert '"usage_ratio": 0.98' in row["features"]  # inputs are stored with the decision
    assert '"eligible": true' in row["scores"]


def test_a_cta_from_the_beacon_is_learned_at_once(db: Engine, make_engine_for: Callable) -> None:
    engine = make_engine_for(db)
    link = _clicked_link(db, engine)
    assert learn_outcomes(db, engine.decision("next_video"), NOW).waiting == 1
    send_beacon(db, link, [{"type": "open"}, {"type": "cta", "t": 3.0}])
    result = learn_outcomes(db, engine.decision("next_video"), NOW + dt.timedelta(minutes=5))
    assert (result.learned, result.waiting) == (1, 0)
    row = store.decision_for_link(db, link.id)
    assert row is not None and (row["outcome"], row["reward"]) == ("cta", 1.0)
    assert learn_outcomes(db, engine.decision("next_video"), NOW + dt.timedelta(minutes=6)).learned == 0


def test_completion_is_a_weaker_reward_once_the_window_has_passed(db: Engine, make_engine_for: Callable) -> None:
    engine = make_engine_for(db)
    decision = engine.decision("next_video")
    link = _clicked_link(db, engine)
    send_beacon(db, link, [{"type": "open"}, {"type": "ended", "t": 20.0}])
    assert learn_outcomes(db, decision, NOW + dt.timedelta(hours=1)).learned == 0  # a CTA may still come
    assert learn_outcomes(db, decision, NOW + dt.timedelta(hours=49)).learned == 1
    row = store.decision_for_link(db, link.id)
    assert row is not None and (row["outcome"], row["reward"]) == ("completed", decision.completion_reward)


def test_the_learned_model_survives_a_restart(db: Engine, make_engine_for: Callable) -> None:
    engine = make_engine_for(db)
    decision = engine.decision("next_video")
    for i in range(12):
        link = _clicked_link(db, engine, customer=("C1001", "C1003")[i % 2], at=NOW - dt.timedelta(days=60 - i * 4))
        if link.story == "welcome":
            send_beacon(db, link, [{"type": "cta", "t": 2.0}], view=f"view-{i:04d}")
    learned = learn_outcomes(db, decision, NOW).learned
    assert learned == 12
    restarted = make_engine_for(make_engine(str(db.url)) if db.dialect.name == "sqlite" else db, seed=2)
    features = {"plan": "Nova 5", "usage_ratio": 0.98, "tenure_days": 21.0, "roaming": "True"}
    estimates = restarted.estimates(decision, features)
    with db.connect() as conn:
        saved = conn.execute(select(store.models_table.c.learned, store.models_table.c.version)).one()
    assert saved.learned == 12 and saved.version == 1
    rewarded = store.logged_decisions(db, "next_video")
    if any(r["action"] == "welcome" for r in rewarded):
        assert estimates["welcome"] > estimates["bill_explainer"]


def test_suppression_after_a_cta_reads_the_beacon(db: Engine, make_engine_for: Callable) -> None:
    engine = make_engine_for(db)
    shown = set()
    for i in range(30):
        link = _clicked_link(db, engine, customer="C1002", at=NOW + dt.timedelta(days=i * 31))
        shown.add(link.story)
        if link.story == "upgrade_offer":
            send_beacon(db, link, [{"type": "cta", "t": 2.0}], view=f"view-{i:04d}")
            break
    assert "upgrade_offer" in shown
    later = NOW + dt.timedelta(days=2000)  # past every other limit; the bill is old by then
    with pytest.raises(NoEligibleAction, match="upgrade: suppressed: the customer already clicked"):
        engine.decide("next_video", "C1002", now=later, log=False)


def test_the_background_learner_learns_off_the_request_path(sql: Engine, make_engine_for: Callable) -> None:
    import time

    from smartvideo.nba.outcomes import OutcomeLearner

    engine = make_engine_for(sql)
    link = _clicked_link(sql, engine, at=dt.datetime.now(dt.UTC))
    send_beacon(sql, link, [{"type": "cta", "t": 1.0}])
    learner = OutcomeLearner(sql, [engine.decision("next_video")], interval=0.05).start()
    try:
        deadline = time.monotonic() + 10
        while store.model_version(sql, "next_video") == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        learner.stop()
    row = store.decision_for_link(sql, link.id)
    assert row is not None and row["outcome"] == "cta" and store.model_version(sql, "next_video") == 1


def test_a_click_past_the_contact_limit_still_gets_a_video(db: Engine, make_engine_for: Callable) -> None:
    engine = make_engine_for(db)
    first = _clicked_link(db, engine, customer="C1004")  # only the bill explainer is eligible for C1004
    assert first.story == "first_bill"
    again = _clicked_link(db, engine, customer="C1004", at=NOW + dt.timedelta(hours=1))  # inside its cool-down
    assert again.story == "first_bill"
    with pytest.raises(NoEligibleAction, match="cool-down"):
        engine.decide("next_video", "C1004", now=NOW + dt.timedelta(hours=2), log=False)
