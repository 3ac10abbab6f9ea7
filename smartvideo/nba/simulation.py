"""A simulated population with known true response rates, for judging the learner honestly.

Customers differ in plan, device, tenure and usage; each of four actions has a true response rate
per context (known here, never shown to the learner). The learned policy runs the real path
(features -> ResponseModel -> arbitration with exploration -> learn from the logged propensity),
against a uniform random policy and the oracle that knows the true rates. Figures use each
choice's expected reward (true rate x value), so they measure the policy, not the dice.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from smartvideo.nba.arbitration import arbitrate
from smartvideo.nba.bandit import ResponseModel
from smartvideo.nba.decision_model import ActionSpec, DecisionSpec, FeatureSpec
from smartvideo.render.templating import Where

_HERE = Where("<simulation>", 1)
VALUES = {"bill_explainer": 1.0, "upgrade": 2.5, "welcome": 1.0, "retention": 1.5}


def true_rate(action: str, customer: dict[str, Any]) -> float:
    """The response rate the simulated world gives an action for a customer."""
    plan, device, new, usage = customer["plan"], customer["device"], customer["new"], customer["usage"]
    if action == "bill_explainer":
        return 0.06 + (0.10 if customer["bill_up"] else 0.0) + (0.02 if device == "desktop" else 0.0)
    if action == "upgrade":
        return 0.01 + (0.09 if usage > 0.85 and plan != "large" else 0.0)
    if action == "welcome":
        return 0.03 + (0.20 if new else 0.0) + (0.03 if device == "phone" else 0.0)
    return 0.02 + (0.08 if plan == "large" and not new else 0.0)


def simulated_decision(epsilon: float = 0.05, floor: float = 0.01) -> DecisionSpec:
    features = tuple(FeatureSpec(name, f"sim.{name}", _HERE, kind) for name, kind in
                     (("plan", "category"), ("device", "category"), ("new", "category"),
                      ("bill_up", "category"), ("usage_band", "category")))
    actions = tuple(ActionSpec(name=a, story=a, where=_HERE, value=v) for a, v in VALUES.items())
    return DecisionSpec(id="simulated", title="simulated", where=_HERE, actions=actions, features=features,
                        epsilon=epsilon, floor=floor)


def random_customer(rng: random.Random) -> dict[str, Any]:
    usage = rng.random()
    return {"plan": rng.choice(["small", "medium", "large"]), "device": rng.choice(["phone", "desktop"]),
            "new": rng.random() < 0.3, "bill_up": rng.random() < 0.4, "usage": usage}


def _features(c: dict[str, Any]) -> dict[str, Any]:
    return {"plan": c["plan"], "device": c["device"], "new": str(c["new"]), "bill_up": str(c["bill_up"]),
            "usage_band": "high" if c["usage"] > 0.85 else "normal"}


@dataclass(frozen=True, slots=True)
class SimulationResult:
    decisions: int
    learned: float  # mean expected reward per decision over the last quarter
    uniform: float
    oracle: float

    @property
    def value(self) -> float:
        return self.learned / self.oracle if self.oracle else 0.0


def simulate(decisions: int = 20_000, seed: int = 7, batch: int = 50) -> SimulationResult:
    """Run the learned policy, uniform and oracle over the same customers.

    Outcomes reach the learner in batches of `batch` decisions, as beacon outcomes arrive late.
    """
    rng = random.Random(seed)
    decision = simulated_decision()
    names = [a.name for a in decision.actions]
    model = ResponseModel()
    now = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    pending: list[tuple[dict[str, Any], str, float, float]] = []
    last = decisions - decisions // 4
    totals = {"learned": 0.0, "uniform": 0.0, "oracle": 0.0}
    try:
        for i in range(decisions):
            customer = random_customer(rng)
            features = _features(customer)
            expected = {a: true_rate(a, customer) * VALUES[a] for a in names}
            choice = arbitrate(decision, {"sim": features}, model.estimate(features, names), (), now, rng,
                               features=features)
            responded = 1.0 if rng.random() < true_rate(choice.action, customer) else 0.0
            pending.append((features, choice.action, responded, choice.propensity))
            if len(pending) >= batch:
                for f, action, reward, p in pending:
                    model.learn(f, names, action, reward, p)
                pending.clear()
            if i >= last:
                totals["learned"] += expected[choice.action]
                totals["uniform"] += sum(expected.values()) / len(names)
                totals["oracle"] += max(expected.values())
    finally:
        model.close()
    n = decisions - last
    return SimulationResult(decisions, totals["learned"] / n, totals["uniform"] / n, totals["oracle"] / n)
