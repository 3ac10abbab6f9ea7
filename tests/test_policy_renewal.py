"""The insurance story: policy_renewal (en) and policy_renewal_nl, with their contract and samples."""

import json
from pathlib import Path

import pytest

from smartvideo.render.contract import RecordRejected
from smartvideo.render.devices import PROFILES
from smartvideo.render.planner import PlanInputs, plan_video
from smartvideo.render.scene_loader import load_library

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def lib():
    return load_library(ROOT)


def sample(name: str, index: int) -> dict:
    return json.loads((ROOT / "data" / name).read_text())[index]


def texts(lib, story: str, record: dict) -> tuple[list[str], list[str], list[str]]:
    plan = plan_video(lib, PlanInputs(story_id=story, record=record, device=PROFILES["portrait"]),
                      lambda text, profile: 2.0, lambda path: "")
    drawn = [layer.text for scene in plan.scenes for layer in scene.layers if layer.text]
    spoken = [scene.voice.text for scene in plan.scenes if scene.voice]
    return drawn, spoken, [scene.id for scene in plan.scenes]


def test_a_cheaper_renewal_in_english(lib):
    drawn, spoken, scenes = texts(lib, "policy_renewal", sample("policies.json", 1))
    assert scenes == ["policy_intro", "policy_cover", "policy_premium", "policy_deductible", "policy_cta"]
    assert "€41.20" in drawn and "a month: €5.70 less than now" in drawn
    assert "Why: you drove a full year without a claim" in drawn
    assert "€150.00" in drawn and "per claim. Your policy renews on 15 February 2027." in drawn
    assert any("that is 5 euros and 70 cents less than now, because you drove" in s for s in spoken)
    assert any("third party up to 2,500,000 euros, theft up to 18,000 euros." in s for s in spoken)


def test_a_dearer_renewal_in_dutch_reads_decimal_commas(lib):
    drawn, spoken, _ = texts(lib, "policy_renewal_nl", sample("polissen.json", 0))
    assert "€\xa027,40" in drawn and "per maand: €\xa02,45 meer dan nu" in drawn
    assert any("27 euro en 40 cent per maand, dat is 2 euro en 45 cent meer dan nu" in s for s in spoken)


def test_no_deductible_skips_its_scene_and_no_previous_premium_says_nothing_of_a_change(lib):
    drawn, spoken, scenes = texts(lib, "policy_renewal", sample("policies.json", 2))
    assert "policy_deductible" not in scenes
    assert "a month" in drawn and not any("than now" in t for t in drawn + spoken)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("premium", "NaN", "policy.premium: expected money, got 'NaN'"),
    ("premium", -5, "policy.premium: expected money of at least 0, got -5"),
    ("renewal_date", "2027-02-30", "policy.renewal_date: expected a real date (YYYY-MM-DD), got '2027-02-30'"),
    ("cover", [], "policy.cover: expected a list of 1 to 6 items, got a list of 0"),
])
def test_a_policy_that_breaks_the_contract_is_refused_naming_the_field(lib, field, value, message):
    record = sample("policies.json", 0)
    record["policy"][field] = value
    with pytest.raises(RecordRejected, match=f"^customer C1001: {message.replace('(', '.').replace(')', '.')}$"):
        texts(lib, "policy_renewal", record)
