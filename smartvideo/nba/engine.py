"""Deciding for one customer: the decision, their record, contact history and the shared model.

`DecisionEngine.decide` is what `smartvideo decide`, the agent API and the click call; it reads
the model that the learner last saved (re-checking its version at most every `refresh` seconds),
arbitrates, and logs the decision. `choose_for_link` fixes a decision link's story at its first
click and keeps it for that link.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from smartvideo.data_sources import CustomerSource
from smartvideo.errors import DataSourceError, SmartVideoError, UnknownCustomer
from smartvideo.links import Link, choose_story, link_by_id
from smartvideo.nba import store
from smartvideo.nba.arbitration import (
    ActionRecord,
    Choice,
    MissingRecord,
    NoEligibleAction,
    OwnRecord,
    arbitrate,
    click_facts,
    evaluate_features,
)
from smartvideo.nba.bandit import ResponseModel
from smartvideo.nba.decision_loader import action_data_files, decision_data, load_decisions
from smartvideo.nba.decision_model import DecisionSpec
from smartvideo.render.scene_loader import Library


class UnknownDecision(SmartVideoError):
    """No decision file with this id."""


class DecisionEngine:
    def __init__(self, engine: Engine, library: Library, customer_source: Callable[[Path], CustomerSource],
                 refresh: float = 1.0, rng: random.Random | None = None) -> None:
        self.engine, self.library, self.customer_source = engine, library, customer_source
        self.refresh = refresh
        self.rng = rng or random.Random()
        self._decisions: dict[str, DecisionSpec] | None = None
        self._models: dict[str, tuple[int, ResponseModel, float]] = {}
        self._lock = threading.Lock()
        self._sources: dict[str, list[tuple[str, str, str, Path]]] = {}

    @classmethod
    def from_renderer(cls, engine: Engine, renderer: Any) -> DecisionEngine:
        return cls(engine, renderer.library, renderer.customer_source)

    @property
    def decisions(self) -> dict[str, DecisionSpec]:
        if self._decisions is None:
            self._decisions = load_decisions(self.library)
        return self._decisions

    def decision(self, decision_id: str) -> DecisionSpec:
        if decision_id not in self.decisions:
            known = ", ".join(sorted(self.decisions)) or "none"
            raise UnknownDecision(f"unknown decision '{decision_id}' (known: {known})")
        return self.decisions[decision_id]

    def data_file(self, decision: DecisionSpec) -> Path:
        source = decision_data(decision, self.library)
        if not source:
            raise SmartVideoError(f"decision '{decision.id}' names no data file; add `data:`")
        return self.library.path(source)

    def record(self, decision_id: str, customer_id: str, data_file: Path | None = None) -> dict[str, Any]:
        decision = self.decision(decision_id)
        return self.customer_source(data_file or self.data_file(decision)).get(customer_id)

    def _other_sources(self, decision: DecisionSpec) -> list[tuple[str, str, str, Path]]:
        """(action, story, file, path) for each action judged on a record from another file."""
        cached = self._sources.get(decision.id)
        if cached is None:
            cached = [(name, decision.action(name).story, data, self.library.path(data))
                      for name, data in action_data_files(decision, self.library).items()]
            self._sources[decision.id] = cached
        return cached

    def action_records(self, decision: DecisionSpec, customer_id: str) -> dict[str, ActionRecord]:
        """The customer's record for each action whose story reads another file than the decision's
        (the same customer id in both), or why there is none: that action is then not eligible."""
        records: dict[str, ActionRecord] = {}
        for action, story, data, path in self._other_sources(decision):
            try:
                records[action] = OwnRecord(self.customer_source(path).get(customer_id), data)
            except UnknownCustomer:
                records[action] = MissingRecord(f"no {story} record for {customer_id} in {data}")
            except DataSourceError as exc:
                records[action] = MissingRecord(f"{story}'s customers cannot be read: {exc}")
        return records

    def _model(self, name: str) -> ResponseModel:
        """The shared model, re-read when another process saved a newer version."""
        now = time.monotonic()
        cached = self._models.get(name)
        if cached is not None and now < cached[2]:
            return cached[1]
        version = store.model_version(self.engine, name)
        if cached is not None and cached[0] == version:
            self._models[name] = (version, cached[1], now + self.refresh)
            return cached[1]
        version, state = store.load_model(self.engine, name)
        model = ResponseModel(state)
        if cached is not None:
            cached[1].close()
        self._models[name] = (version, model, now + self.refresh)
        return model

    def estimates(self, decision: DecisionSpec, features: Mapping[str, Any]) -> dict[str, float]:
        with self._lock:
            return self._model(decision.id).estimate(features, [a.name for a in decision.actions])

    def decide(self, decision_id: str, customer_id: str, *, record: Mapping[str, Any] | None = None,
               link_id: str | None = None, now: dt.datetime | None = None, log: bool = True,
               device: str | None = None, channel: str | None = None, contact_policy: bool = True) -> Choice:
        """Choose the next best action for a customer; logged with its inputs unless `log` is False.

        `record` (default: the customer's in the decision's data file) gives the features and is
        what every action whose story reads that same file is judged on; an action whose story
        reads another file is judged on the customer's record there (same customer id).
        Conditions and features see `click.device` / `click.channel` too (as scenes see `click`):
        the device the link is opened on, the channel it was sent by."""
        decision = self.decision(decision_id)
        now = now or dt.datetime.now(dt.UTC)
        if record is None:
            record = self.record(decision_id, customer_id)
        record = {**record, "click": click_facts(device, channel)}
        features = evaluate_features(decision, record, now.date())
        history = store.contact_history(self.engine, decision.id, customer_id) if contact_policy else []
        others = self.action_records(decision, customer_id)
        with self._lock:
            choice = arbitrate(decision, record, self._model(decision.id).estimate(
                features, [a.name for a in decision.actions]), history, now, self.rng, features, others)
        if log:
            store.log_decision(self.engine, choice, customer_id, link_id, now)
        return choice

    def choose_for_link(self, link: Link, secret: str, now: dt.datetime | None = None,
                        device: str | None = None) -> Link:
        """A decision link with its story chosen (at its first click); other links unchanged."""
        if not link.undecided:
            return link
        assert link.decision is not None
        try:
            choice = self.decide(link.decision, link.customer_id, now=now, log=False, device=device,
                                 channel=link.channel)
        except NoEligibleAction:
            # The customer clicked a link we sent: the contact happened. Show the best eligible
            # video rather than an error; only `when:` conditions still apply.
            choice = self.decide(link.decision, link.customer_id, now=now, log=False, device=device,
                                 channel=link.channel, contact_policy=False)
        if choose_story(self.engine, link.id, choice.story, choice.variant):
            store.log_decision(self.engine, choice, link.customer_id, link.id, now or dt.datetime.now(dt.UTC))
        return link_by_id(self.engine, secret, link.id, now)

    def close(self) -> None:
        with self._lock:
            for _, model, _ in self._models.values():
                model.close()
            self._models.clear()
