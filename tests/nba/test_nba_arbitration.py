"""Eligibility, contact policy, scoring and exploration (pure: no database)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from nba_support import NOW, ROOT

from smartvideo.data_sources import FileCustomerSource
from smartvideo.nba.arbitration import (
    Contact,
    NoEligibleAction,
    arbitrate,
    contact_block,
    exploration_probabilities,
)
from smartvideo.nba.decision_loader import load_decisions
from smartvideo.nba.decision_model import ContactPolicy
from smartvideo.render.scene_loader import Library

CUSTOMERS = FileCustomerSource(ROOT / "data" / "customers.json")


@pytest.fixture(scope="module")
def decision(library: Library):  # noqa: ANN201
    return load_decisions(library)["next_video"]


def _eligible(choice) -> dict[str, bool]:  # noqa: ANN001
    return {s.action: s.eligible for s in choice.scores}


def test_eligibility_follows_the_customer_data(decision) -> None:  # noqa: ANN001
    estimates = {"bill_explainer": 0.1, "upgrade": 0.1, "welcome": 0.1}
    rng = random.Random(1)
    # C1004: usage 61% of the plan, customer since August: only the bill explainer.
    c1004 = arbitrate(decision, CUSTOMERS.get("C1004"), estimates, (), NOW, rng)
    assert _eligible(c1004) == {"bill_explainer": True, "upgrade": False, "welcome": False}
    assert c1004.action == "bill_explainer"
    assert "usage.data_used_gb / plan.data_gb >= 0.8" in c1004.scores[1].reason
    # C1003: new (November) and near the plan's limit: all three.
    assert set(a for a, ok in _eligible(arbitrate(decision, CUSTOMERS.get("C1003"), estimates, (), NOW, rng)).items()
               if ok) == {"bill_explainer", "upgrade", "welcome"}


def test_score_is_propensity_times_value_times_lever(decision) -> None:  # noqa: ANN001
    choice = arbitrate(decision, CUSTOMERS.get("C1002"), {"bill_explainer": 0.2, "upgrade": 0.05}, (), NOW,
                       random.Random(1))
    upgrade = next(s for s in choice.scores if s.action == "upgrade")
    assert upgrade.value == (49.0 - 35.0) * 12  # the value template over the record
    assert upgrade.score == pytest.approx(0.05 * 168 * 0.5)
    bill = next(s for s in choice.scores if s.action == "bill_explainer")
    assert bill.score == pytest.approx(0.2 * 20 * 1.0)


def test_the_best_score_wins_unless_exploring_and_its_probability_is_logged(decision) -> None:  # noqa: ANN001
    estimates = {"bill_explainer": 0.5, "upgrade": 0.01, "welcome": 0.01}
    picks = [arbitrate(decision, CUSTOMERS.get("C1003"), estimates, (), NOW, random.Random(seed))
             for seed in range(300)]
    greedy = [c for c in picks if c.action == "bill_explainer"]
    assert 0.85 < len(greedy) / len(picks) < 0.99
    assert all(c.propensity == pytest.approx(1 - 2 * max(0.1 / 3, 0.03)) for c in greedy)
    assert all(c.explored and c.propensity == pytest.approx(0.1 / 3) for c in picks if c.action != "bill_explainer")


def test_exploration_keeps_the_floor() -> None:
    probs = exploration_probabilities([5.0, 0.0, 0.0, 0.0], epsilon=0.0, floor=0.05)
    assert probs == pytest.approx([0.85, 0.05, 0.05, 0.05])
    assert sum(exploration_probabilities([1, 2, 3], 0.3, 0.01)) == pytest.approx(1.0)


def test_contact_limit_per_days() -> None:
    policy = ContactPolicy(max_contacts=2, per_days=30)
    two = [Contact("a", NOW - dt.timedelta(days=3)), Contact("a", NOW - dt.timedelta(days=10))]
    assert "contact limit: 2 of 2 in 30 days" in (contact_block(policy, "a", two, NOW) or "")
    old = [Contact("a", NOW - dt.timedelta(days=3)), Contact("a", NOW - dt.timedelta(days=40))]
    assert contact_block(policy, "a", old, NOW) is None
    assert contact_block(policy, "b", two, NOW) is None  # per action


def test_suppressed_after_a_cta() -> None:
    policy = ContactPolicy(suppress_after_cta=True)
    assert contact_block(policy, "a", [Contact("a", NOW - dt.timedelta(days=300), cta=False)], NOW) is None
    assert "suppressed" in (contact_block(policy, "a", [Contact("a", NOW - dt.timedelta(days=300), cta=True)], NOW)
                            or "")


def test_cool_down_between_contacts() -> None:
    policy = ContactPolicy(cooldown_days=3)
    assert "cool-down" in (contact_block(policy, "a", [Contact("a", NOW - dt.timedelta(days=1))], NOW) or "")
    assert contact_block(policy, "a", [Contact("a", NOW - dt.timedelta(days=4))], NOW) is None


def test_no_eligible_action_is_an_error_that_says_why(decision) -> None:  # noqa: ANN001
    history = [Contact("bill_explainer", NOW - dt.timedelta(days=1))]
    with pytest.raises(NoEligibleAction, match="cool-down"):
        arbitrate(decision, CUSTOMERS.get("C1004"), {}, history, NOW, random.Random(1))
