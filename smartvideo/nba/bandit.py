"""The online response model: Vowpal Wabbit contextual bandit over the decision's features.

VW learns, per action and per context, the expected reward of showing the action (`--cb_adf`,
direct-method reward regression, shared customer features crossed with the
action, `-q UA`, and pairs of them, `--cubic UUA`). Those estimates are the *propensity* in
propensity x value x lever; the
exploration over the arbitrated scores (epsilon-greedy with a floor) lives in `arbitration`, and
each learning example carries the probability that was logged with its decision.

The model is bytes (a small JSON head with per-action counts, then VW's own model file), so it is
stored in the database and shared by every process; `ResponseModel` is not thread-safe by itself
(`engine` guards it with a lock).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

import vowpalwabbit

# Direct-method regression of the reward on (customer x action) and (customer pairs x action)
# features. In the simulation (bench, seeds 7-9) it reached 0.94-0.95 of the oracle with -l 0.1;
# `mtr` (importance-weighted) reached 0.72-0.81, -l 0.2 0.90-0.92, -l 0.5 0.83-0.86.
VW_ARGS = "--cb_adf --cb_type dm -q UA --cubic UUA --ignore_linear U --noconstant -l 0.1 --quiet"
PRIOR_WEIGHT = 5.0  # an action seen fewer times leans on the mean reward of all actions
_UNSAFE = re.compile(r"[\s|:]+")


def _token(value: Any) -> str:
    return _UNSAFE.sub("_", str(value)) or "_"


def shared_line(features: Mapping[str, Any]) -> str:
    parts = []
    for name, value in sorted(features.items()):
        if isinstance(value, int | float) and not isinstance(value, bool):
            parts.append(f"{_token(name)}:{float(value):.6g}")
        else:
            parts.append(f"{_token(name)}={_token(value)}")
    return "shared |U " + " ".join(parts)


class ResponseModel:
    """Expected reward per action for a context; learns one logged decision at a time."""

    def __init__(self, state: bytes | None = None) -> None:
        self.counts: dict[str, int] = {}
        self.reward_sums: dict[str, float] = {}
        if state:
            head, _, model = state.partition(b"\n")
            meta = json.loads(head)
            self.counts, self.reward_sums = meta["counts"], meta["reward_sums"]
            with tempfile.NamedTemporaryFile(suffix=".vw", delete=False) as f:
                f.write(model)
            try:
                self.vw = vowpalwabbit.Workspace(f"--quiet -i {f.name}")
            finally:
                os.unlink(f.name)
        else:
            self.vw = vowpalwabbit.Workspace(VW_ARGS)

    @property
    def learned(self) -> int:
        return sum(self.counts.values())

    def _examples(self, features: Mapping[str, Any], actions: Sequence[str]) -> list[str]:
        return [shared_line(features)] + [f"|A a={_token(a)}" for a in actions]

    def estimate(self, features: Mapping[str, Any], actions: Sequence[str]) -> dict[str, float]:
        """Expected reward of each action for this context (never below 0)."""
        if not actions:
            return {}
        total = self.learned
        prior = (sum(self.reward_sums.values()) / total) if total else 0.1
        predicted = self.vw.predict(self._examples(features, actions)) if total else [0.0] * len(actions)
        out = {}
        for action, cost in zip(actions, predicted, strict=True):
            n = self.counts.get(action, 0)
            learned = max(0.0, -float(cost))
            out[action] = (n * learned + PRIOR_WEIGHT * prior) / (n + PRIOR_WEIGHT)
        return out

    def learn(self, features: Mapping[str, Any], actions: Sequence[str], action: str, reward: float,
              probability: float) -> None:
        """One logged decision: `action` was shown with `probability` among `actions` and earned `reward`."""
        lines = [shared_line(features)]
        for a in actions:
            label = f"0:{-reward:.6g}:{max(probability, 1e-6):.6g} " if a == action else ""
            lines.append(f"{label}|A a={_token(a)}")
        if action not in actions:
            lines.append(f"0:{-reward:.6g}:{max(probability, 1e-6):.6g} |A a={_token(action)}")
        self.vw.learn(lines)
        self.counts[action] = self.counts.get(action, 0) + 1
        self.reward_sums[action] = self.reward_sums.get(action, 0.0) + reward

    def to_bytes(self) -> bytes:
        fd, name = tempfile.mkstemp(suffix=".vw")
        os.close(fd)
        try:
            self.vw.save(name)
            with open(name, "rb") as f:
                model = f.read()
        finally:
            os.unlink(name)
        head = json.dumps({"counts": self.counts, "reward_sums": self.reward_sums}).encode()
        return head + b"\n" + model

    def close(self) -> None:
        self.vw.finish()
