"""Off-policy evaluation from the decision log: IPS and doubly robust, with 95% intervals. Pure.

Each logged decision carries its context, the eligible actions, the action shown, the probability
it was shown with, and its final reward. A target policy gives, per logged context, a probability
for each eligible action. IPS reweights the observed rewards by target/logged probability; doubly
robust adds the reward model's estimate for every action and corrects it with the reweighted
residual, which is unbiased if either the propensities or the reward model are right and has
less variance than IPS. Intervals are normal approximations over the per-decision terms.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Policy = Callable[["Logged"], Mapping[str, float]]  # logged decision -> action probabilities
RewardModel = Callable[["Logged"], Mapping[str, float]]  # logged decision -> expected reward per action


@dataclass(frozen=True, slots=True)
class Logged:
    features: Mapping[str, Any]
    actions: tuple[str, ...]  # eligible when decided
    action: str
    propensity: float
    reward: float
    weights: Mapping[str, float]  # value x lever per action, for the learned (greedy) policy
    probabilities: Mapping[str, float]  # the logged policy's probability of every eligible action


@dataclass(frozen=True, slots=True)
class Estimate:
    value: float
    low: float
    high: float
    n: int

    def as_dict(self) -> dict[str, Any]:
        return {"value": round(self.value, 4), "ci95": [round(self.low, 4), round(self.high, 4)], "n": self.n}


def _mean_ci(terms: Sequence[float]) -> Estimate:
    n = len(terms)
    if n == 0:
        return Estimate(0.0, 0.0, 0.0, 0)
    mean = sum(terms) / n
    var = sum((t - mean) ** 2 for t in terms) / (n - 1) if n > 1 else 0.0
    half = 1.96 * math.sqrt(var / n)
    return Estimate(mean, mean - half, mean + half, n)


def ips(log: Sequence[Logged], policy: Policy) -> Estimate:
    return _mean_ci([d.reward * policy(d).get(d.action, 0.0) / d.propensity for d in log])


def doubly_robust(log: Sequence[Logged], policy: Policy, model: RewardModel) -> Estimate:
    terms = []
    for d in log:
        target, predicted = policy(d), model(d)
        direct = sum(p * predicted.get(a, 0.0) for a, p in target.items())
        correction = target.get(d.action, 0.0) / d.propensity * (d.reward - predicted.get(d.action, 0.0))
        terms.append(direct + correction)
    return _mean_ci(terms)


def uniform_policy(d: Logged) -> dict[str, float]:
    return {a: 1.0 / len(d.actions) for a in d.actions}


def logged_policy(d: Logged) -> Mapping[str, float]:
    """The policy in force: the exploration probabilities logged with each decision."""
    return d.probabilities


def greedy_policy(model: RewardModel) -> Policy:
    """The learned policy without exploration: the best estimated reward x value x lever."""

    def policy(d: Logged) -> dict[str, float]:
        predicted = model(d)
        best = max(d.actions, key=lambda a: predicted.get(a, 0.0) * d.weights.get(a, 1.0))
        return {best: 1.0}

    return policy
