"""A story's data contract: records are read by declared type, and every misfit names record and field."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from smartvideo.errors import SceneError, TemplateDataError
from smartvideo.render.contract import (
    RecordRejected,
    check_export,
    check_record,
    parse_contract,
    read_record,
    template_references,
)
from smartvideo.render.devices import PROFILES
from smartvideo.render.planner import PlanInputs, plan_video
from smartvideo.render.scene_loader import load_library

ROOT = Path(__file__).resolve().parent.parent


def contract(fields: dict, locale: str = "en"):
    return parse_contract(fields, "story.yaml", 3, locale)


BILL = contract({
    "customer.first_name": "name",
    "customer.phone": {"type": "phone", "optional": True},
    "customer.email": {"type": "email", "optional": True},
    "bill.total": "money",
    "bill.due_date": "date",
    "bill.roaming": {"type": "boolean", "default": False},
    "bill.lines": {"type": "list", "min_items": 1, "fields": {"name": "text", "amount": "money"}},
    "plan.data_gb": {"type": "number", "gt": 0},
    "plan.minutes": {"type": "integer", "optional": True},
    "plan.discount": {"type": "percent", "optional": True},
})


def record(**changes):
    base = {"id": "C1", "customer": {"first_name": "Anna", "phone": "+31612345678", "email": "anna@example.com"},
            "bill": {"total": "135.20", "due_date": "2026-11-28", "lines": [{"name": "Calls", "amount": "12.5"}]},
            "plan": {"data_gb": "10"}}
    for dotted, value in changes.items():
        node = base
        parts = dotted.split("__")
        for part in parts[:-1]:
            node = node[part]
        node[parts[-1]] = value
    return base


def rejected(rec, the_contract=BILL) -> str:
    with pytest.raises(RecordRejected) as caught:
        read_record(the_contract, rec)
    return str(caught.value)


def test_declared_types_convert_text_cells():
    out = read_record(BILL, record(plan__minutes="300", plan__discount="25%"))
    assert out["bill"]["total"] == Decimal("135.20")
    assert out["bill"]["due_date"] == dt.date(2026, 11, 28)
    assert out["bill"]["lines"] == [{"name": "Calls", "amount": Decimal("12.50")}]
    assert out["bill"]["roaming"] is False
    assert out["plan"] == {"data_gb": 10, "minutes": 300, "discount": Decimal("0.25")}
    assert out["customer"]["phone"] == "+31612345678"


def test_reading_is_idempotent():
    once = read_record(BILL, record())
    assert read_record(BILL, once) == once


@pytest.mark.parametrize(("field", "value", "message"), [
    ("bill__total", "NaN", "customer C1: bill.total: expected money, got 'NaN'"),
    ("bill__total", float("nan"), "customer C1: bill.total: expected money, got nan"),
    ("bill__total", float("inf"), "customer C1: bill.total: expected money, got inf"),
    ("bill__total", True, "customer C1: bill.total: expected money, got True"),
    ("bill__due_date", "2026-02-30", "customer C1: bill.due_date: expected a real date (YYYY-MM-DD), got '2026-02-30'"),
    ("customer__first_name", "  ", "customer C1: customer.first_name: expected name, got '  '"),
    ("customer__first_name", "😀", "customer C1: customer.first_name: expected a name with letters, got '😀'"),
    ("customer__first_name", "An\x00na", "customer C1: customer.first_name: expected name (text without control "
                                         "characters), got 'An\\x00na'"),
    ("customer__first_name", "{{ 7*7 }}", "customer C1: customer.first_name: expected name (text without template "
                                          "syntax), got '{{ 7*7 }}'"),
    ("customer__phone", "0612345678", "customer C1: customer.phone: expected phone number (E.164, e.g. "
                                      "+31612345678), got '0612345678'"),
    ("customer__email", "anna@", "customer C1: customer.email: expected email address, got 'anna@'"),
    ("plan__data_gb", "0", "customer C1: plan.data_gb: expected number greater than 0, got '0'"),
    ("plan__data_gb", "2,5", "customer C1: plan.data_gb: expected number, got '2,5'"),
    ("plan__minutes", "12.5", "customer C1: plan.minutes: expected integer, got '12.5'"),
    ("bill__lines", "Calls", "customer C1: bill.lines: expected a list, got 'Calls'"),
    ("bill__lines", [], "customer C1: bill.lines: expected a list of 1 to 1000 items, got a list of 0"),
])
def test_misfit_names_record_field_expectation_and_value_in_one_line(field, value, message):
    text = rejected(record(**{field: value}))
    assert text == message
    assert "\n" not in text and "Error" not in text


def test_a_wrong_list_item_names_its_index():
    lines = [{"name": "A", "amount": "1"}, {"name": "B", "amount": "2"}, {"name": "C", "amount": "NaN"}]
    assert rejected(record(bill__lines=lines)) == "customer C1: bill.lines[2].amount: expected money, got 'NaN'"


def test_long_values_are_shortened_in_the_message():
    text = rejected(record(bill__total="x" * 500))
    assert len(text) < 120 and "…" in text


def test_decimal_comma_is_read_where_the_locale_says_so():
    nl = contract({"plan.data_gb": "number", "bill.total": "money"}, locale="nl")
    out = read_record(nl, {"id": "K1", "plan": {"data_gb": "2,5"}, "bill": {"total": "1.234,50"}})
    assert out["plan"]["data_gb"] == Decimal("2.5")
    assert out["bill"]["total"] == Decimal("1234.50")


def test_decimal_comma_can_be_declared_per_field():
    c = contract({"plan.data_gb": {"type": "number", "decimal_comma": True}})
    assert read_record(c, {"id": "C1", "plan": {"data_gb": "2,5"}})["plan"]["data_gb"] == Decimal("2.5")


def test_national_phone_numbers_need_a_region():
    nl = contract({"customer.phone": "phone"}, locale="nl")
    assert read_record(nl, {"id": "K1", "customer": {"phone": "0612345678"}})["customer"]["phone"] == "+31612345678"


def test_blank_optional_field_counts_as_missing_and_takes_its_default():
    c = contract({"bill.reason": {"type": "text", "default": "your usage changed"}, "bill.note": {
        "type": "text", "optional": True}})
    out = read_record(c, {"id": "C1", "bill": {"reason": "   ", "note": ""}})
    assert out["bill"] == {"reason": "your usage changed"}


def test_every_problem_of_a_record_is_listed():
    _, problems = check_record(BILL, record(bill__total="NaN", customer__first_name=""))
    assert [p.field for p in problems] == ["customer.first_name", "bill.total"]


def test_records_without_a_contract_still_refuse_nan_and_control_characters():
    _, problems = check_record(None, {"id": "C1", "bill": {"total": float("nan")}, "customer": {"name": "a\x07"}})
    assert [p.message() for p in problems] == [
        "customer C1: bill.total: expected a finite number, got nan",
        "customer C1: customer.name: expected text without control characters, got 'a\\x07'",
    ]


@pytest.mark.parametrize(("fields", "message"), [
    ({"bill.total": "monies"}, "story.yaml:3: contract field 'bill.total': type must be one of"),
    ({"bill.total": {"type": "money", "gt": "x"}}, "contract bound 'gt' must be a number"),
    ({"bill.lines": "list"}, "a list declares the `fields:` of its items"),
    ({"bill": "text", "bill.total": "money"}, "contract fields 'bill' and 'bill.total' overlap"),
    ({"bill.total": {"type": "money", "default": "NaN"}}, "default does not fit"),
    ({"bill.name": {"type": "text", "min": 1}}, "bounds (min) need a numeric type"),
])
def test_contract_mistakes_are_scene_errors_with_file_and_line(fields, message):
    with pytest.raises(SceneError, match=message.replace("(", r"\(").replace(")", r"\)").replace("`", ".")):
        contract(fields)


def test_check_export_counts_bad_records_and_duplicate_ids():
    records = [record(), record(id="C2", bill__total="NaN"), {"customer": {}}, record(), "oops"]
    result = check_export(BILL, records)
    assert result.records == 5
    assert result.bad_records == 4
    assert [(p.record_id, p.field) for p in result.problems][:2] == [("C2", "bill.total"), ("#3", "id")]
    assert ("C1", "id") in [(p.record_id, p.field) for p in result.problems]
    assert result.problems[-1].record_id == "#5"


def test_template_references_resolve_loops_and_filters():
    refs = template_references("{% for l in bill.lines %}{{ l.amount | money }}{% endfor %}"
                               "{{ (bill.lines | sort(attribute='amount') | last).name }}{{ customer['first_name'] }}")
    assert set(refs) == {"bill.lines", "bill.lines.amount", "bill.lines.name", "customer.first_name"}


@pytest.fixture(scope="module")
def lib():
    return load_library(ROOT)


def plan_texts(lib, story, rec):
    plan = plan_video(lib, PlanInputs(story_id=story, record=rec, device=PROFILES["landscape"], variant=None),
                      lambda text, profile: 2.0, lambda path: "")
    drawn = [layer.text for scene in plan.scenes for layer in scene.layers if layer.text]
    spoken = [scene.voice.text for scene in plan.scenes if scene.voice]
    return drawn, spoken


def test_a_divisor_is_protected_by_its_bound(lib):
    import json

    rec = json.loads((ROOT / "data" / "customers.json").read_text())[0]
    rec["plan"]["data_gb"] = 0
    with pytest.raises(RecordRejected, match="^customer C1001: plan.data_gb: expected number greater than 0, got 0$"):
        plan_texts(lib, "upgrade_offer", rec)


def test_planning_a_story_without_contract_names_the_customer_and_fields_not_exception(tmp_path):
    from smartvideo.errors import TemplateDataError
    from smartvideo.render.templating import Where, render_text

    with pytest.raises(TemplateDataError) as caught:
        render_text("{{ a.used / a.total }}", {"a": {"used": 1, "total": 0}}, Where("s.yaml", 4))
    assert str(caught.value) == ("s.yaml:4: cannot compute this text: it divides by zero (it reads a.total, "
                                 "a.used; declare their types and bounds in the story's contract)")


def _sample(name="customers.json", index=0):
    import json

    return json.loads((ROOT / "data" / name).read_text())[index]


def test_a_credit_bill_reads_as_money_back_on_screen_and_in_the_voice(lib):
    rec = _sample()
    rec["bill"]["total"] = -20.5
    drawn, spoken = plan_texts(lib, "first_bill", rec)
    assert "Hi Anna, this month you get back" in drawn and "€20.50" in drawn
    assert "€143.30 less than last month" in drawn
    assert any("This month you get 20 euros and 50 cents back, that is 143 euros and 30 cents less" in s
               for s in spoken)
    assert not any("-" in t and "€" in t for t in drawn) and not any("minus" in s for s in spoken)


def test_a_cheaper_offer_reads_less_not_minus_more(lib):
    rec = _sample()
    rec["offer"]["price"] = 12
    drawn, spoken = plan_texts(lib, "upgrade_offer", rec)
    assert "You pay €5.50 less a month and get 15 GB more data" in drawn
    assert any("you pay 5 euros and 50 cents less a month" in s for s in spoken)


def test_dutch_credit_bill(lib):
    rec = _sample("klanten.json")
    rec["bill"]["total"] = "-20,50"
    drawn, spoken = plan_texts(lib, "rekening_nl", rec)
    assert "Hoi Sanne, deze maand krijgt u terug" in drawn and "€\xa020,50" in drawn
    assert any("Deze maand krijgt u 20 euro en 50 cent terug" in s for s in spoken)


def _pusher(lib, tmp_path, rec):
    from smartvideo.agents.push import VideoPusher
    from smartvideo.invitations.settings import DeliverySettings

    return VideoPusher(engine=None, secret="s" * 40, public_url="http://x.example", link_ttl="7d", library=lib,
                       record_lookup=lambda story, customer: rec, click_context=lambda story, record: {},
                       delivery=DeliverySettings.from_env(tmp_path, {}))


def test_an_agent_push_refuses_a_bad_record_naming_the_field(lib, tmp_path):
    from smartvideo.agents.errors import PushRejected
    from smartvideo.agents.push import PushRequest

    rec = _sample()
    rec["bill"]["lines"][2]["amount"] = "NaN"
    with pytest.raises(PushRejected) as caught:
        _pusher(lib, tmp_path, rec).check(PushRequest(customer_id="C1001", story="first_bill"))
    assert caught.value.reason == "customer C1001: bill.lines[2].amount: expected money, got 'NaN'"


def test_a_campaign_rows_contact_details_are_read_by_the_contract(lib, tmp_path):
    from smartvideo.agents.errors import PushRejected
    from smartvideo.agents.push import PushRequest

    pusher = _pusher(lib, tmp_path, _sample())
    record = pusher.check(PushRequest(customer_id="C1001", story="first_bill", channel="sms",
                                      contact_record={"customer": {"phone": "+31 6 1234 5678"}}))
    assert record["customer"]["phone"] == "+31612345678"
    with pytest.raises(PushRejected, match="customer C1001: customer.phone: expected phone number"):
        pusher.check(PushRequest(customer_id="C1001", story="first_bill", channel="sms",
                                 contact_record={"customer": {"phone": "0612345678"}}))


@pytest.mark.parametrize("name", [
    "山田", "김민수", "ひかり", "مريم", "שרה", "Ζωή", "Мария", "Łucja", "Anna 👍🏽", "😀 Bo"])
def test_names_in_every_shipped_script_are_drawn_not_dropped(lib, name):
    from smartvideo.render.drawing.fonts import missing_glyphs

    rec = _sample()
    rec["customer"]["first_name"] = name
    plan = plan_video(lib, PlanInputs(story_id="first_bill", record=rec, device=PROFILES["landscape"]),
                      lambda text, profile: 2.0, lambda path: "")
    layer = next(layer for scene in plan.scenes for layer in scene.layers if layer.text and "this month" in layer.text)
    assert name in layer.text
    assert missing_glyphs(layer.text, (layer.style.font, *layer.style.fallback_fonts)) == ""


def test_a_character_no_font_has_is_refused_naming_the_field(lib):
    rec = _sample()
    rec["bill"]["lines"][1]["name"] = "Roaming \u0378"
    with pytest.raises(TemplateDataError, match=r"^customer C1001: \S*scenes/bill_breakdown.yaml:\d+: bill.lines.name: "
                                                r"no font can draw '\u0378' \(U\+0378\)"):
        plan_video(lib, PlanInputs(story_id="first_bill", record=rec, device=PROFILES["landscape"], variant="A"),
                   lambda text, profile: 2.0, lambda path: "")


def test_a_large_export_checked_in_worker_processes_finds_the_same_problems():
    from smartvideo.bench.check_data import synthetic_rows
    from smartvideo.data_sources import _nest

    lib = load_library(ROOT)
    story = lib.story("first_bill")
    records = [_nest(row) for row in synthetic_rows(12_000)]
    records[5] = dict(records[5], id=records[4]["id"])
    one = check_export(story.contract, records, story.defaults)
    two = check_export(story.contract, records, story.defaults, processes=2)
    assert one == two
    assert one.bad_records == 241 and one.problems[0].field == "id"
