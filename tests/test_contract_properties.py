"""Property-based: records generated from first_bill's contract, edge values included, planned in full.

A record that fits the contract plans with its names and figures on screen and in the voice exactly
as formatted from the input; one that does not is refused naming the field, never anything else.
"""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartvideo.errors import SmartVideoError
from smartvideo.render.contract import RecordRejected
from smartvideo.render.devices import PROFILES
from smartvideo.render.formatting import format_money, format_money_change, format_payment
from smartvideo.render.planner import PlanInputs, check_fits, check_fixed_parts, plan_video
from smartvideo.render.scene_loader import load_library

ROOT = Path(__file__).resolve().parent.parent
LIB = load_library(ROOT)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Letters from every script the shipped fonts cover, and a few emoji.
_LETTERS = st.one_of(
    st.characters(min_codepoint=0x41, max_codepoint=0x5A), st.characters(min_codepoint=0x61, max_codepoint=0x7A),
    st.sampled_from("ÀÉÎÕÜçñøåŁłŚźŻğİş"), st.characters(min_codepoint=0x3B1, max_codepoint=0x3C9),
    st.characters(min_codepoint=0x410, max_codepoint=0x44F), st.characters(min_codepoint=0x627, max_codepoint=0x64A),
    st.characters(min_codepoint=0x5D0, max_codepoint=0x5EA), st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5),
    st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
    st.characters(min_codepoint=0x3041, max_codepoint=0x3096),
)
NAMES = st.tuples(st.lists(_LETTERS, min_size=1, max_size=12), st.sampled_from(["", " 😀", "-Anne", " 👍🏽"])).map(
    lambda parts: "".join(parts[0]) + parts[1])
AMOUNTS = st.decimals(min_value=Decimal("-99999.99"), max_value=Decimal("99999.99"), places=2)


def _as_input(amount: Decimal, how: int) -> object:
    """The same amount as an export may hold it: text, JSON float, integer cents-free text, Decimal."""
    return [str(amount), float(amount), amount, f" {amount} "][how]


@st.composite
def bill_records(draw: st.DrawFn) -> tuple[dict, dict]:
    how = draw(st.integers(0, 3))
    total, previous = draw(AMOUNTS), draw(st.one_of(st.none(), AMOUNTS))
    lines = draw(st.lists(st.tuples(st.text(_LETTERS, min_size=1, max_size=20), AMOUNTS), min_size=1, max_size=6))
    name = draw(NAMES)
    due = draw(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31)))
    record = {
        "id": draw(st.from_regex(r"[A-Z][0-9]{1,8}", fullmatch=True)),
        "customer": {"first_name": draw(st.sampled_from(["", "  "])) + name,
                     "phone": draw(st.sampled_from([None, "", "+31612345678", "+44 20 7946 0958"]))},
        "bill": {"total": _as_input(total, how), "due_date": due.isoformat(),
                 "roaming": draw(st.sampled_from([True, False, "true", "false", None])),
                 "reason": draw(st.sampled_from([None, "", "   ", "you roamed"])),
                 "lines": [{"name": n, "amount": _as_input(a, how)} for n, a in lines]},
    }
    if previous is not None:
        record["bill"]["previous_total"] = _as_input(previous, how)
    expected = {"name": name.strip(), "total": total, "previous": previous, "lines": lines}
    return record, expected


def _plan(record: dict):
    inputs = PlanInputs(story_id="first_bill", record=record, device=PROFILES["landscape"], variant="A")
    return plan_video(LIB, inputs, lambda text, profile: 2.0, lambda path: "", every_scene=True)


@SETTINGS
@given(bill_records())
def test_a_record_that_fits_shows_its_own_names_and_figures(case):
    record, want = case
    plan = _plan(record)
    drawn = [layer.text for scene in plan.scenes for layer in scene.layers if layer.text]
    spoken = [scene.voice.text for scene in plan.scenes if scene.voice]
    for text in drawn + spoken:
        rest = text.replace(want["name"], "")
        for line_name, _ in want["lines"]:  # a line may be called "INF": text stays text
            rest = rest.replace(" ".join(line_name.split()), "").replace(" ".join(line_name.split()).lower(), "")
        for bad in ("nan", "NaN", "None", "{{", "{%", "inf"):
            assert bad not in rest, (bad, text)
    greeting = next(t for t in drawn if "this month" in t)
    assert f"Hi {want['name']}, this month" in greeting
    total = want["total"]
    number = next(layer for scene in plan.scenes for layer in scene.layers if layer.kind == "number")
    assert number.text == format_money(abs(total), "EUR", "en")
    assert ("you get back" in greeting) == (total < 0)
    assert any(format_payment(total, "EUR", "en", spoken=True) in s for s in spoken)
    if want["previous"] is not None and want["previous"] != total:
        assert f"{format_money_change(total - want['previous'], 'EUR', 'en')} than last month" in drawn
    charts = [layer for scene in plan.scenes for layer in scene.layers if layer.kind == "chart"]
    for chart in charts:
        assert sorted((i.label, Decimal(str(i.value))) for i in chart.chart_items) == sorted(
            (" ".join(n.split()), a) for n, a in want["lines"])
        assert all(i.value_text == format_money(Decimal(str(i.value)), "EUR", "en") for i in chart.chart_items)


EDGE_VALUES = [float("nan"), "NaN", "nan", float("inf"), "-inf", "1e309", "", "   ", None, "\x00x", "a\x1bb",
               "{{ 7*7 }}", "{% if %}", True, [], {}, "2,5", "1.234,5", "12abc", "2026-02-30", "+", "0612345678",
               "x" * 600, "😀", 10**30, -0.0]
FIELDS = ["customer.first_name", "customer.phone", "bill.total", "bill.previous_total", "bill.due_date",
          "bill.roaming", "bill.reason", "bill.lines", "bill.lines.0.name", "bill.lines.0.amount"]
SAMPLE = json.loads((ROOT / "data" / "customers.json").read_text())[0]


def _with(record: dict, dotted: str, value: object) -> dict:
    record = json.loads(json.dumps(record))
    node = record
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    node[int(parts[-1]) if parts[-1].isdigit() else parts[-1]] = value
    return record


@SETTINGS
@given(st.sampled_from(FIELDS), st.sampled_from(EDGE_VALUES))
def test_an_edge_value_plans_right_or_is_refused_naming_its_field(field, value):
    record = _with(SAMPLE, field, value)
    try:
        plan = _plan(record)
    except RecordRejected as exc:
        top = field.split(".0.")[0]
        assert str(exc).startswith(f"customer C1001: {top}"), str(exc)
        assert "\n" not in str(exc) and "Error" not in str(exc)
        return
    except SmartVideoError as exc:  # e.g. a glyph no font has: still one line naming a field
        assert str(exc).startswith("customer C1001: ") and field.split(".")[-1] in str(exc), str(exc)
        return
    texts = [layer.text for scene in plan.scenes for layer in scene.layers if layer.text]
    texts += [scene.voice.text for scene in plan.scenes if scene.voice]
    for text in texts:
        if isinstance(value, str) and field.endswith(("name", "reason")):
            text = text.replace(value.strip(), "")  # a name may be "NaN": text stays text
        for bad in ("nan", "NaN", "None", "{{", "{%", "inf", "\x00", "\x1b"):
            assert bad not in text, (field, value, text)


@pytest.mark.parametrize("value", ["Nan", "None", "True", "Null"])
def test_text_that_looks_like_another_type_stays_text(value):
    plan = _plan(_with(SAMPLE, "customer.first_name", value))
    assert any(f"Hi {value}, this month" in layer.text for scene in plan.scenes for layer in scene.layers
               if layer.text)


def _refusal(check) -> str | None:
    try:
        check()
    except SmartVideoError as exc:
        return str(exc)
    return None


def test_the_campaign_check_refuses_what_planning_refuses_for_the_same_reason():
    """A campaign checks each customer with `check_fits` (personal layers only, once the story's
    fixed parts planned): it must refuse exactly the records the full plan refuses, naming the
    same. Every edge value in every field, in both variants (most of them are refused)."""
    check_fixed_parts(LIB, "first_bill", PROFILES["landscape"])
    refused = 0
    for field in FIELDS:
        for value in EDGE_VALUES:
            for variant in ("A", "B"):
                inputs = PlanInputs(story_id="first_bill", record=_with(SAMPLE, field, value),
                                    device=PROFILES["landscape"], variant=variant)
                planned = _refusal(lambda inputs=inputs: plan_video(LIB, inputs, lambda t, p: 2.0, lambda path: ""))
                checked = _refusal(lambda inputs=inputs: check_fits(LIB, inputs, fixed_parts_checked=True))
                assert checked == planned, (field, value, variant)
                refused += planned is not None
    assert refused > 100  # the edge values do reach the refusals


def test_broken_fixed_parts_are_found_by_the_story_check() -> None:
    """A layer without data that cannot plan (its style is gone) fails the fixed-parts check, so a
    campaign falls back to checking every customer in full."""
    import dataclasses

    scene = LIB.scenes["bill_intro"]
    fixed = next(n for n, layer in enumerate(scene.layers) if "{" not in layer.content and layer.kind == "text")
    layers = list(scene.layers)
    layers[fixed] = dataclasses.replace(layers[fixed], style="no-such-style")
    scenes = {**LIB.scenes, "bill_intro": dataclasses.replace(scene, layers=tuple(layers))}
    broken = dataclasses.replace(LIB, scenes=scenes)
    with pytest.raises(KeyError, match="no-such-style"):
        check_fixed_parts(broken, "first_bill", PROFILES["landscape"])
    check_fixed_parts(LIB, "first_bill", PROFILES["landscape"])
