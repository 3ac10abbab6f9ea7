"""Arbitration: which action for this customer now, and why. Pure: no SQL, no Flask, no clock.

For every action: eligibility (`when:` over the customer's record for that action, in the scenes'
sandbox), the contact policy over the customer's decision history, then score = propensity x value
x lever. An action's record is the decision's record unless its story's customers live in another
file: then the engine hands over the customer's record from that file, or a `MissingRecord` (the
action is not eligible, and the reason says which file has no record for the customer).
The best eligible action wins with probability 1 - epsilon; the others share epsilon, and each
keeps at least `floor`, so the learner keeps seeing every eligible action. The probability of
the chosen action is logged with it (for off-policy evaluation and importance-weighted learning).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from smartvideo.errors import SmartVideoError, TemplateDataError
from smartvideo.nba.decision_model import ActionSpec, ContactPolicy, DecisionSpec
from smartvideo.render.templating import Where, as_record, evaluate, render_text


class NoEligibleAction(SmartVideoError):
    """Every action of a decision is ineligible or held back by its contact policy."""


@dataclass(frozen=True, slots=True)
class Contact:
    """One earlier decision for this customer (from the decision log)."""

    action: str
    at: dt.datetime
    cta: bool = False


@dataclass(frozen=True, slots=True)
class OwnRecord:
    """The customer's record from the file where an action's story finds its customers."""

    record: Mapping[str, Any]
    source: str  # the file, content-relative: named in the reason


@dataclass(frozen=True, slots=True)
class MissingRecord:
    """The customer has no record where an action's story finds its customers."""

    reason: str  # e.g. "no policy_renewal record for C1002 in data/policies.json"


ActionRecord = OwnRecord | MissingRecord


@dataclass(frozen=True, slots=True)
class ActionScore:
    action: str
    eligible: bool
    reason: str
    propensity_estimate: float
    value: float
    lever: float
    score: float
    probability: float = 0.0  # chance this action is chosen under the exploration policy

    def as_dict(self, probability: bool = False) -> dict[str, Any]:
        out = {"action": self.action, "eligible": self.eligible, "reason": self.reason,
               "propensity_estimate": round(self.propensity_estimate, 4), "value": round(self.value, 4),
               "lever": self.lever, "score": round(self.score, 4)}
        if probability:  # stored in the log: the policy in force, for off-policy evaluation
            out["probability"] = self.probability
        return out


@dataclass(frozen=True, slots=True)
class Choice:
    decision: str
    action: str
    story: str
    variant: str | None
    score: float
    propensity: float  # the logged probability of choosing this action
    scores: tuple[ActionScore, ...]
    features: Mapping[str, Any]
    explored: bool

    @property
    def explanation(self) -> str:
        chosen = next(s for s in self.scores if s.action == self.action)
        others = [s for s in self.scores if s.action != self.action]
        why = (f"'{self.action}' (story {self.story}) scored {chosen.score:.3f} = propensity "
               f"{chosen.propensity_estimate:.3f} x value {chosen.value:g} x lever {chosen.lever:g}"
               f"{_where(chosen)}")
        why += "; chosen to explore" if self.explored else "; the highest eligible score"
        if others:
            why += "; " + "; ".join(
                f"{s.action}: {s.score:.3f}{_where(s)}" if s.eligible else f"{s.action}: not eligible ({s.reason})"
                for s in others)
        return why

    def as_dict(self) -> dict[str, Any]:
        return {"decision": self.decision, "action": self.action, "story": self.story, "variant": self.variant,
                "score": round(self.score, 4), "propensity": round(self.propensity, 4),
                "eligible": [s.as_dict() for s in self.scores], "explanation": self.explanation}


def _where(score: ActionScore) -> str:
    """', judged on its record in FILE' for an eligible action judged on another file's record."""
    note = score.reason.removeprefix("eligible")
    return f", {note.strip(' ()')}" if note else ""


def _days_since(value: Any, today: dt.date) -> float:
    text = str(value)
    try:
        when = dt.date.fromisoformat(text[:10])
    except ValueError:
        raise TemplateDataError(f"days_since: {text!r} is not a date like 2026-11-23") from None
    return float((today - when).days)


def click_facts(device: str | None, channel: str | None) -> dict[str, str]:
    """What a decision knows of the click: `click.device` and `click.channel` ('unknown' if not known)."""
    return {"device": device or "unknown", "channel": channel or "unknown"}


def decision_context(record: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """The customer record as the scenes' sandbox sees it, plus `today`, `days_since(date)` and
    `click` (device and channel; 'unknown' when the record carries none)."""
    context: dict[str, Any] = {key: as_record(value, key) for key, value in record.items()}
    context.setdefault("click", as_record(click_facts(None, None), "click"))
    context["today"] = today.isoformat()
    context["days_since"] = lambda value: _days_since(value, today)
    return context


def evaluate_features(decision: DecisionSpec, record: Mapping[str, Any], today: dt.date,
                      context: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The decision's declared context features for this customer (missing data is an error)."""
    context = context if context is not None else decision_context(record, today)
    features: dict[str, Any] = {}
    for feature in decision.features:
        value = evaluate(feature.expression, context, feature.where)
        if feature.kind == "number":
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise TemplateDataError(
                    f"{feature.where.file}:{feature.where.line}: feature '{feature.name}' is not a number: {value!r}"
                ) from None
        else:
            value = str(value)
        features[feature.name] = value
    return features


def evaluate_action(action: ActionSpec, record: Mapping[str, Any], today: dt.date,
                    context: Mapping[str, Any] | None = None) -> tuple[bool, float]:
    """(eligible by its `when:`, value) for this customer."""
    context = context if context is not None else decision_context(record, today)
    eligible = True
    if action.when:
        eligible = bool(evaluate(action.when, context, action.when_where or action.where))
    value = action.value
    if isinstance(value, str):
        where = action.value_where or action.where
        text = render_text(value, context, where)
        try:
            value = float(text)
        except ValueError:
            raise TemplateDataError(f"{where.file}:{where.line}: value '{text}' is not a number") from None
    return eligible, float(value)


def contact_block(policy: ContactPolicy, action: str, history: Sequence[Contact], now: dt.datetime) -> str | None:
    """Why the contact policy holds this action back now, or None when it may be shown."""
    mine = [c for c in history if c.action == action]
    if policy.suppress_after_cta and any(c.cta for c in mine):
        return "suppressed: the customer already clicked its call to action"
    if policy.cooldown_days and mine:
        last = max(c.at for c in mine)
        if now - last < dt.timedelta(days=policy.cooldown_days):
            days = (now - last).total_seconds() / 86400
            return f"cool-down: shown {days:.1f} days ago (wait {policy.cooldown_days:g})"
    if policy.max_contacts is not None:
        since = now - dt.timedelta(days=policy.per_days)
        recent = sum(1 for c in mine if c.at > since)
        if recent >= policy.max_contacts:
            return f"contact limit: {recent} of {policy.max_contacts} in {policy.per_days:g} days"
    return None


def exploration_probabilities(scores: Sequence[float], epsilon: float, floor: float) -> list[float]:
    """Epsilon-greedy over the scores, each at least `floor`; the best (first on a tie) gets the rest."""
    n = len(scores)
    if n == 1:
        return [1.0]
    best = max(range(n), key=lambda i: (scores[i], -i))
    other = max(epsilon / n, floor)
    probs = [other] * n
    probs[best] = 1.0 - other * (n - 1)
    return probs


def arbitrate(decision: DecisionSpec, record: Mapping[str, Any], estimates: Mapping[str, float],
              history: Sequence[Contact], now: dt.datetime, rng: random.Random,
              features: Mapping[str, Any] | None = None,
              action_records: Mapping[str, ActionRecord] | None = None) -> Choice:
    """Choose an action for one customer; NoEligibleAction when none may be shown.

    `record` is the decision's record (features, and every action not in `action_records`);
    `action_records` holds, per action name, the record its story reads from another file."""
    today = now.date()
    context = decision_context(record, today)
    if features is None:
        features = evaluate_features(decision, record, today, context)
    click = {"click": record["click"]} if "click" in record else {}  # one click, whichever file
    rows: list[ActionScore] = []
    for action in decision.actions:
        own = (action_records or {}).get(action.name)
        if isinstance(own, MissingRecord):
            rows.append(ActionScore(action.name, False, own.reason, float(estimates.get(action.name, 0.0)),
                                    0.0, action.lever, 0.0))
            continue
        if own is None:
            eligible, value = evaluate_action(action, record, today, context)
            where = ""
        else:
            own_record = {**own.record, **click}
            eligible, value = evaluate_action(action, own_record, today, decision_context(own_record, today))
            where = f" (judged on its record in {own.source})"
        reason = f"eligible{where}" if eligible else f"`{action.when}` is false{where}"
        if eligible:
            block = contact_block(action.contact, action.name, history, now)
            if block:
                eligible, reason = False, block
        p = float(estimates.get(action.name, 0.0))
        score = p * value * action.lever if eligible else 0.0
        rows.append(ActionScore(action.name, eligible, reason, p, value, action.lever, score))
    candidates = [r for r in rows if r.eligible]
    if not candidates:
        raise NoEligibleAction(f"decision '{decision.id}': no action may be shown to this customer now ("
                               + "; ".join(f"{r.action}: {r.reason}" for r in rows) + ")")
    probs = exploration_probabilities([r.score for r in candidates], decision.epsilon, decision.floor)
    by_action = {r.action: p for r, p in zip(candidates, probs, strict=True)}
    rows = [ActionScore(r.action, r.eligible, r.reason, r.propensity_estimate, r.value, r.lever, r.score,
                        by_action.get(r.action, 0.0)) for r in rows]
    pick = rng.random()
    chosen = candidates[-1]
    for r, p in zip(candidates, probs, strict=True):
        pick -= p
        if pick < 0:
            chosen = r
            break
    greedy = max(candidates, key=lambda r: r.score)
    action = decision.action(chosen.action)
    return Choice(decision=decision.id, action=chosen.action, story=action.story, variant=action.variant,
                  score=chosen.score, propensity=by_action[chosen.action], scores=tuple(rows),
                  features=dict(features), explored=chosen.action != greedy.action)


__all__ = ["ActionRecord", "ActionScore", "Choice", "Contact", "MissingRecord", "NoEligibleAction", "OwnRecord",
           "arbitrate", "click_facts", "contact_block", "decision_context", "evaluate_action", "evaluate_features",
           "exploration_probabilities", "Where"]
