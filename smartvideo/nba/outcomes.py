"""Beacon outcomes -> rewards -> the shared model, off the request path.

A decision's reward is final when its view reports a CTA (the decision's `cta` reward), or when
its outcome window has passed (`completion` reward if a view completed, else 0). `learn_outcomes`
reads the pending decisions, learns them into the model read from the database, and saves it
over the version it read, marking the decisions learned in the same transaction, so two
learners (a worker per machine) never learn a decision twice. `OutcomeLearner` runs it in a
background thread (embedded mode and every Celery worker).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from smartvideo.nba import store
from smartvideo.nba.bandit import ResponseModel
from smartvideo.nba.decision_model import DecisionSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LearnResult:
    learned: int
    waiting: int  # decisions whose outcome is not final yet


class _SavedMeanwhile(Exception):
    """Another learner saved the model after we read it."""


def reward_of(decision: DecisionSpec, pending: store.Pending, now: dt.datetime) -> tuple[str, float] | None:
    """(outcome, reward) once final, else None."""
    if pending.cta:
        return "cta", decision.cta_reward
    if now - pending.created_at < dt.timedelta(hours=decision.outcome_window_hours):
        return None
    if pending.completed:
        return "completed", decision.completion_reward
    return "none", 0.0


def learn_outcomes(engine: Engine, decision: DecisionSpec, now: dt.datetime | None = None,
                   attempts: int = 5) -> LearnResult:
    """Learn every decision whose reward is final; safe to run in several processes at once."""
    from smartvideo.analytics.ingest import BeaconStore

    now = now or dt.datetime.now(dt.UTC)
    BeaconStore(engine).fold_inbox()  # the outcomes are read from the views: every beacon acknowledged counts
    for _ in range(attempts):
        version, state = store.load_model(engine, decision.id)
        model = ResponseModel(state)
        try:
            with engine.begin() as conn:
                pending = store.pending_decisions(conn, decision.id)
                rewards, waiting = [], 0
                for item in pending:
                    found = reward_of(decision, item, now)
                    if found is None:
                        waiting += 1
                        continue
                    outcome, reward = found
                    model.learn(item.features, item.actions, item.action, reward, item.propensity)
                    rewards.append((item.id, outcome, reward))
                if not rewards:
                    return LearnResult(0, waiting)
                if not store.save_model(conn, decision.id, version, model.to_bytes(), model.learned, now):
                    raise _SavedMeanwhile
                store.mark_learned(conn, rewards, now)
                return LearnResult(len(rewards), waiting)
        except _SavedMeanwhile:
            continue  # the transaction rolled back: read the newer model and learn again
        finally:
            model.close()
    log.warning("decision %s: the model kept changing under the learner; trying again later", decision.id)
    return LearnResult(0, 0)


class OutcomeLearner:
    """Learns every `interval` seconds in a daemon thread until `stop()`."""

    def __init__(self, engine: Engine, decisions: Iterable[DecisionSpec], interval: float = 30.0) -> None:
        self.engine, self.decisions, self.interval = engine, list(decisions), interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="nba-learner", daemon=True)

    def start(self) -> OutcomeLearner:
        self._thread.start()
        return self

    def run_once(self) -> int:
        from smartvideo.analytics.ingest import BeaconStore

        total = 0
        try:  # views whose batches came before their render was planned count from now on
            BeaconStore(self.engine).fold_pending()
        except Exception:  # noqa: BLE001 - logged; the decisions below are learned all the same
            log.exception("folding pending beacon batches failed")
        for decision in self.decisions:
            try:
                total += learn_outcomes(self.engine, decision).learned
            except Exception:  # noqa: BLE001 - a failed pass is logged and retried next interval
                log.exception("learning from outcomes of decision %s failed", decision.id)
        return total

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.run_once()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


def start_learner(engine: Engine, library: Any, interval: float | None = None) -> OutcomeLearner | None:
    """Start learning in the background for every decision of the library (None when it has none).

    SMARTVIDEO_NBA_LEARN_SECONDS sets the interval (default 30).
    """
    from smartvideo.errors import SmartVideoError
    from smartvideo.nba.decision_loader import load_decisions

    try:
        decisions = load_decisions(library)
    except SmartVideoError as exc:
        log.error("decisions not loaded, nothing will be learned: %s", exc)
        return None
    if not decisions:
        return None
    seconds = interval if interval is not None else float(os.environ.get("SMARTVIDEO_NBA_LEARN_SECONDS", "30"))
    return OutcomeLearner(engine, decisions.values(), seconds).start()
