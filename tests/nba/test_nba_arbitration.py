"""Eligibility, contact policy, scoring and exploration (pure: no database)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from nba_support import NOW, ROOT

from smartvideo.data_sources import FileCustomerSource
from smartvideo.errors import UnknownCustomer
from smartvideo.nba.arbitration import (
    ActionRecord,
    Choice,
    Contact,
    MissingRecord,
    NoEligibleAction,
    OwnRecord,
    arbitrate,
    contact_block,
    exploration_probabilities,
)
from smartvideo.nba.decision_loader import load_decisions
from smartvideo.nba.decision_model import ContactPolicy
from smartvideo.render.scene_loader import Library

CUSTOMERS = FileCustomerSource(ROOT / "data" / "customers.json")
POLICIES = FileCustomerSource(ROOT / "data" / "policies.json")


def policy_record(customer: str) -> dict[str, ActionRecord]:
    """What the engine hands over for the policy action: the customer's policy record, or why none."""
    try:
        return {"policy": OwnRecord(POLICIES.get(customer), "data/policies.json")}
    except UnknownCustomer:
        return {"policy": MissingRecord(f"no policy_renewal record for {customer} in data/policies.json")}


def decide(decision, customer: str, estimates: dict[str, float], history=(), now=NOW,  # noqa: ANN001
           rng: random.Random | None = None) -> Choice:
    return arbitrate(decision, CUSTOMERS.get(customer), estimates, history, now, rng or random.Random(1),
                     action_records=policy_record(customer))


@pytest.fixture(scope="module")
def decision(library: Library):  # noqa: ANN201
    return load_decisions(library)["next_video"]


def _eligible(choice) -> dict[str, bool]:  # noqa: ANN001
    return {s.action: s.eligible for s in choice.scores}


def test_eligibility_follows_the_customer_data(decision) -> None:  # noqa: ANN001
    estimates = {"bill_explainer": 0.1, "upgrade": 0.1, "welcome": 0.1}
    rng = random.Random(1)
    # C1004: usage 61% of the plan, customer since August: only the bill explainer.
    c1004 = decide(decision, "C1004", estimates, rng=rng)
    assert _eligible(c1004) == {"bill_explainer": True, "upgrade": False, "welcome": False, "policy": False}
    assert c1004.action == "bill_explainer"
    assert "usage.data_used_gb / plan.data_gb >= 0.8" in c1004.scores[1].reason
    # C1003: new (November) and near the plan's limit: all three.
    assert set(a for a, ok in _eligible(decide(decision, "C1003", estimates, rng=rng)).items()
               if ok) == {"bill_explainer", "upgrade", "welcome"}


def test_the_policy_action_is_judged_on_the_customers_policy_record(decision) -> None:  # noqa: ANN001
    # C1001 (Anna) is in customers.json and, with the same id, in policies.json: renewal on
    # 1 January, 39 days after NOW. Her customers.json record has no `policy` at all.
    assert "policy" not in CUSTOMERS.get("C1001")
    estimates = {"bill_explainer": 0.1, "upgrade": 0.1, "welcome": 0.1, "policy": 0.1}
    anna = decide(decision, "C1001", estimates)
    policy = next(s for s in anna.scores if s.action == "policy")
    assert policy.eligible and policy.reason == "eligible (judged on its record in data/policies.json)"
    assert policy.value == pytest.approx(24.5 * 12 * 0.1)  # the value template over the policy record
    assert policy.score == pytest.approx(0.1 * 24.5 * 12 * 0.1)
    # Too early for the renewal: the condition over the same record is false, and says where it looked.
    september = decide(decision, "C1001", estimates, now=NOW - dt.timedelta(days=80))
    assert not next(s for s in september.scores if s.action == "policy").eligible
    assert "is false (judged on its record in data/policies.json)" in september.explanation
    # No policy record: not eligible, and the reason names the customer and the file.
    c1004 = decide(decision, "C1004", estimates)
    assert "policy: not eligible (no policy_renewal record for C1004 in data/policies.json)" in c1004.explanation


def test_the_policy_action_wins_when_it_scores_best(decision) -> None:  # noqa: ANN001
    choice = decide(decision, "C1001", {"bill_explainer": 0.01, "upgrade": 0.01, "welcome": 0.01, "policy": 0.5})
    assert (choice.action, choice.story, choice.explored) == ("policy", "policy_renewal", False)


def test_score_is_propensity_times_value_times_lever(decision) -> None:  # noqa: ANN001
    choice = decide(decision, "C1002", {"bill_explainer": 0.2, "upgrade": 0.05})
    upgrade = next(s for s in choice.scores if s.action == "upgrade")
    assert upgrade.value == (49.0 - 35.0) * 12  # the value template over the record
    assert upgrade.score == pytest.approx(0.05 * 168 * 0.5)
    bill = next(s for s in choice.scores if s.action == "bill_explainer")
    assert bill.score == pytest.approx(0.2 * 20 * 1.0)


def test_the_best_score_wins_unless_exploring_and_its_probability_is_logged(decision) -> None:  # noqa: ANN001
    estimates = {"bill_explainer": 0.5, "upgrade": 0.01, "welcome": 0.01}
    picks = [decide(decision, "C1003", estimates, rng=random.Random(seed)) for seed in range(300)]
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
        decide(decision, "C1004", {}, history)
