"""Planning: a story and a record become a frozen, fully resolved RenderPlan."""

import dataclasses
from pathlib import Path

import pytest

from smartvideo.data_sources import FileCustomerSource, nearest_store, read_records
from smartvideo.errors import SmartVideoError, TemplateDataError
from smartvideo.render.devices import PROFILES, pick_device
from smartvideo.render.planner import PlanInputs, StoryPlanner, pick_variant, plan_video
from smartvideo.render.scene_loader import load_library

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def lib():
    return load_library(ROOT)


@pytest.fixture(scope="module")
def customers():
    return FileCustomerSource(ROOT / "data" / "customers.json")


def words(text: str, profile: str) -> float:
    """Speech length stand-in for planning tests: 2.5 words a second."""
    return len(text.split()) / 2.5


def plan(lib, record, device="landscape", variant="A", story="first_bill", extra=None):
    inputs = PlanInputs(story_id=story, record=record, device=PROFILES[device], variant=variant,
                        extra_context=extra or {})
    return plan_video(lib, inputs, words, lambda path: "h")


def test_plan_has_no_template_left(lib, customers):
    result = plan(lib, customers.get("C1001"))
    texts = [layer.text for s in result.scenes for layer in s.layers] + [s.voice.text for s in result.scenes if s.voice]
    assert texts
    for text in texts:
        assert "{{" not in text and "{%" not in text and "None" not in text
    assert "This month you pay 135 euros and 20 cents" in result.scenes[1].voice.text


def test_scene_durations_are_whole_frames_and_fit_the_voice(lib, customers):
    result = plan(lib, customers.get("C1001"))
    fps = result.device.fps
    clock = 0.0
    for scene in result.scenes:
        assert round(scene.duration * fps, 6) == int(round(scene.duration * fps))
        assert scene.start == pytest.approx(clock)
        if scene.voice:
            assert scene.duration >= scene.voice.offset + scene.voice.duration
        clock += scene.duration
    assert result.duration == pytest.approx(clock)


def test_conditions_skip_scenes(lib, customers):
    with_roaming = [s.id for s in plan(lib, customers.get("C1001")).scenes]
    single_line_no_roaming = [s.id for s in plan(lib, customers.get("C1002")).scenes]
    assert "bill_tips" in with_roaming and "bill_breakdown" in with_roaming
    assert "bill_tips" not in single_line_no_roaming and "bill_breakdown" not in single_line_no_roaming


def test_static_scenes_hash_the_same_for_every_customer(lib, customers):
    a = {s.id: s for s in plan(lib, customers.get("C1001")).scenes}
    b = {s.id: s for s in plan(lib, customers.get("C1004")).scenes}
    device = PROFILES["landscape"]
    assert a["bill_intro"].visual_key(device, "1") == b["bill_intro"].visual_key(device, "1")
    assert a["bill_total"].visual_key(device, "1") != b["bill_total"].visual_key(device, "1")
    assert not a["bill_intro"].personal and a["bill_total"].personal


def test_portrait_uses_the_portrait_boxes(lib, customers):
    land = plan(lib, customers.get("C1001"), "landscape").scenes[1].layers[0]
    port = plan(lib, customers.get("C1001"), "portrait").scenes[1].layers[0]
    assert land.box == (77, 86, 768, 86)
    assert port.box == (58, 154, 605, 128)
    for scene in plan(lib, customers.get("C1001"), "portrait").scenes:
        for layer in scene.layers:
            x, y, w, h = layer.box
            assert x >= 0 and y >= 0 and x + w <= 720 and y + h <= 1280


def test_variants_are_deterministic_and_spread(lib):
    story = lib.story("first_bill")
    picks = {cid: pick_variant(story, cid).name for cid in (f"C{i}" for i in range(400))}
    assert picks == {cid: pick_variant(story, cid).name for cid in picks}
    share_a = sum(v == "A" for v in picks.values()) / len(picks)
    assert 0.4 < share_a < 0.6


def test_variant_changes_scenes_and_texts(lib, customers):
    b = plan(lib, customers.get("C1001"), variant="B")
    assert [s.id for s in b.scenes] == ["bill_intro", "bill_total", "outro_cta"]
    assert b.scenes[0].layers[1].text == "Your bill, made simple"
    assert b.variant == "B"


def test_unknown_variant_is_a_clear_error(lib, customers):
    with pytest.raises(SmartVideoError, match="no variant 'Z'"):
        plan(lib, customers.get("C1001"), variant="Z")


def test_declared_default_fills_an_absent_optional_field(lib, customers):
    record = customers.get("C1003")  # no reason_short, no previous_total
    result = plan(lib, record)
    total = next(s for s in result.scenes if s.id == "bill_total")
    assert "See every line of your bill in the app." in [layer.text for layer in total.layers]
    assert "Due on 2 December 2026" in [layer.text for layer in total.layers]


def test_missing_required_field_is_an_error_naming_it(lib, customers):
    record = {**customers.get("C1001"), "customer": {"last_name": "X"}}
    with pytest.raises(TemplateDataError, match="customer.first_name"):
        plan(lib, record)


def test_null_required_field_is_an_error(lib, customers):
    record = {**customers.get("C1001"), "customer": {**customers.get("C1001")["customer"], "first_name": None}}
    with pytest.raises(TemplateDataError, match="customer C1001: customer.first_name: expected name, got nothing"):
        plan(lib, record)


def test_chart_items_are_formatted_and_coloured(lib, customers):
    breakdown = next(s for s in plan(lib, customers.get("C1001")).scenes if s.id == "bill_breakdown")
    bars = breakdown.layers[1]
    assert [i.label for i in bars.chart_items] == ["Subscription", "Roaming", "Phone instalment", "Extra data"]
    assert bars.chart_items[1].value_text == "€38.40"
    assert len({i.color for i in bars.chart_items}) == 4


def test_count_up_number_keeps_the_value(lib, customers):
    total = plan(lib, customers.get("C1001")).scenes[1]
    number = total.layers[1]
    assert number.kind == "number" and number.number == 135.2 and number.text == "€135.20"


def test_click_location_picks_the_nearest_store(lib, customers):
    stores = read_records(ROOT / "data" / "stores.json")
    rotterdam = nearest_store(stores, (51.92, 4.48))
    assert rotterdam["id"] == "RTM-1" and rotterdam["distance_km"] < 2
    result = plan(lib, customers.get("C1001"), story="welcome", variant=None,
                  extra={"store": rotterdam, "click": {}})
    store_scene = next(s for s in result.scenes if s.id == "welcome_store")
    assert store_scene.layers[1].text == "Nova Store Rotterdam Lijnbaan"


def test_plan_is_frozen(lib, customers):
    result = plan(lib, customers.get("C1001"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.scenes[0].duration = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("query", "agent", "expected"),
    [
        ("square", "iPhone", "square"),
        (None, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile Safari", "portrait"),
        (None, "Mozilla/5.0 (Linux; Android 13; Pixel 7) Mobile Safari/537.36", "portrait"),
        (None, "Opera/9.80 (J2ME/MIDP; Opera Mini/9.80)", "lite"),
        (None, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120", "landscape"),
        ("bogus", None, "landscape"),
    ],
)
def test_device_from_query_or_user_agent(query, agent, expected):
    assert pick_device(query, agent).name == expected


def test_dutch_story_speaks_and_shows_dutch_amounts(lib):
    record = FileCustomerSource(ROOT / "data" / "klanten.json").get("K2001")
    result = plan(lib, record, story="rekening_nl", variant=None)
    total = next(s for s in result.scenes if s.id == "rekening_totaal")
    assert "Deze maand betaalt u 135 euro en 20 cent" in total.voice.text
    assert total.voice.profile == "anna_nl"
    assert total.layers[1].text == "€\u00a0135,20"
    assert total.layers[2].text == "€\u00a012,40 meer dan vorige maand"



def test_a_scene_timed_on_its_own_equals_the_scene_timed_in_order(lib, customers):
    inputs = PlanInputs(story_id="first_bill", record=customers.get("C1001"), device=PROFILES["landscape"],
                        variant="A")
    planner = StoryPlanner(lib, inputs, words, lambda path: "h")
    in_order = list(planner.scenes())
    last = in_order[-1]
    assert planner.scene(last.index, last.start) == last  # a renderer may time it before the others
    assert planner.voice_lines() == [(s.voice.text, s.voice.profile) for s in in_order if s.voice]


def test_a_record_read_by_a_story_is_not_read_again_for_it_but_is_for_another_story() -> None:
    from smartvideo.render.planner import story_record

    library = load_library(Path(__file__).resolve().parents[1])
    bill, offer = library.story("first_bill"), library.story("upgrade_offer")
    raw = FileCustomerSource(library.path(bill.customer_data)).get("C1001")
    once = story_record(bill, raw)
    assert story_record(bill, once) is once  # the campaign's lookup, check and plan read it once
    assert story_record(bill, dict(once)) == once and story_record(bill, dict(once)) is not once
    other = story_record(offer, once)  # another story's contract reads it again
    assert other is not once and story_record(offer, other) is other
