"""Scene texts: sandboxed, strict about missing data, never showing None or template syntax."""

import pytest

from smartvideo.errors import SceneError, TemplateDataError
from smartvideo.render.templating import Where, as_record, check_syntax, evaluate, render_text

HERE = Where("scenes/example.yaml", 7)


def context(**data):
    ctx = {k: as_record(v, k) for k, v in data.items()}
    ctx.update(_locale="en", _currency="EUR")
    return ctx


def test_renders_customer_fields_and_filters():
    ctx = context(customer={"first_name": "Anna"}, bill={"total": 135.2})
    text = "Hi {{ customer.first_name }}, you pay {{ bill.total | money }} ({{ bill.total | money_words }})."
    assert render_text(text, ctx, HERE) == "Hi Anna, you pay €135.20 (135 euros and 20 cents)."


def test_locale_of_the_story_drives_the_filters():
    ctx = context(bill={"total": 135.2})
    ctx["_locale"] = "nl"
    # A no-break space keeps € with the amount.
    assert render_text("{{ bill.total | money }}", ctx, HERE) == "€\u00a0135,20"


def test_missing_field_names_the_full_path_and_the_scene_line():
    ctx = context(customer={"first_name": "Anna"})
    with pytest.raises(TemplateDataError) as err:
        render_text("Hi {{ customer.nickname }}", ctx, HERE)
    assert "scenes/example.yaml:7" in str(err.value)
    assert "customer.nickname" in str(err.value)


def test_missing_nested_record_names_the_path():
    with pytest.raises(TemplateDataError, match="missing field 'bill.reason'"):
        render_text("because {{ bill.reason }}", context(bill={}), HERE)


def test_null_value_is_an_error_naming_the_field_not_the_word_none():
    with pytest.raises(TemplateDataError, match="field 'bill.reason' is empty"):
        render_text("because {{ bill.reason }}", context(bill={"reason": None}), HERE)


def test_null_value_takes_the_template_default():
    ctx = context(bill={"reason": None})
    assert render_text("because {{ bill.reason | default('usage changed') }}", ctx, HERE) == "because usage changed"


@pytest.mark.parametrize(
    "attack",
    [
        "{{ customer.__class__.__mro__ }}",
        "{{ customer.first_name.__class__.__base__.__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ ''.__class__ }}",
    ],
)
def test_templates_cannot_reach_python_internals(attack):
    with pytest.raises(TemplateDataError):
        render_text(attack, context(customer={"first_name": "Anna"}), HERE)


def test_customer_data_with_template_syntax_is_refused_not_shown():
    hostile = context(customer={"first_name": "{{ 7*7 }}"})
    with pytest.raises(TemplateDataError, match="template syntax"):
        render_text("Hi {{ customer.first_name }}", hostile, HERE)


def test_customer_data_is_never_evaluated_as_a_template():
    ctx = context(customer={"first_name": "{ 7*7 }"})
    assert render_text("Hi {{ customer.first_name }}", ctx, HERE) == "Hi { 7*7 }"


def test_syntax_errors_point_at_the_line_inside_a_multiline_text():
    with pytest.raises(SceneError) as err:
        check_syntax("line one\n{{ broken", HERE)
    assert err.value.file == "scenes/example.yaml"
    assert err.value.line == 8


def test_conditions_evaluate_against_data():
    ctx = context(bill={"total": 10, "lines": [1, 2]})
    assert evaluate("bill.total > 0", ctx, HERE) is True
    assert evaluate("bill.lines | length > 2", ctx, HERE) is False
    with pytest.raises(TemplateDataError, match="bill.missing"):
        evaluate("bill.missing > 0", ctx, HERE)


def test_multiline_voice_text_collapses_whitespace():
    assert render_text("Hello\n   {{ 'there' }}\n", context(), HERE) == "Hello there"
