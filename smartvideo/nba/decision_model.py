"""What decision authors write (scenes/decisions/*.yaml), parsed and checked.

A decision lists actions; each action names a story (optionally a variant), a value, an
eligibility condition, a business lever and a contact policy. Templates stay unresolved here.
"""

from __future__ import annotations

from dataclasses import dataclass

from smartvideo.render.templating import Where


@dataclass(frozen=True, slots=True)
class ContactPolicy:
    """How often one customer may be shown an action."""

    max_contacts: int | None = None  # at most this many decisions for the action ...
    per_days: float = 30.0  # ... within this many days
    suppress_after_cta: bool = False  # never again once the customer clicked its CTA
    cooldown_days: float = 0.0  # at least this long between two decisions for the action


@dataclass(frozen=True, slots=True)
class ActionSpec:
    name: str
    story: str
    where: Where
    variant: str | None = None
    value: float | str = 1.0  # a number, or a template over the customer record
    value_where: Where | None = None
    when: str | None = None  # eligibility expression over the customer record
    when_where: Where | None = None
    lever: float = 1.0  # business weight
    contact: ContactPolicy = ContactPolicy()


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """One context feature for learning: a name and an expression over the customer record."""

    name: str
    expression: str
    where: Where
    kind: str = "category"  # category | number


@dataclass(frozen=True, slots=True)
class DecisionSpec:
    id: str
    title: str
    where: Where
    actions: tuple[ActionSpec, ...]
    features: tuple[FeatureSpec, ...] = ()
    data: str | None = None  # customer data file for `decide --customer`
    sample_customer: str | None = None
    cta_reward: float = 1.0
    completion_reward: float = 0.3
    outcome_window_hours: float = 48.0  # no CTA by then: the reward is final (completion or 0)
    epsilon: float = 0.1  # exploration share
    floor: float = 0.02  # every eligible action keeps at least this probability

    def action(self, name: str) -> ActionSpec:
        for action in self.actions:
            if action.name == name:
                return action
        raise KeyError(name)
