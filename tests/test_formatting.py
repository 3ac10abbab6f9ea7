"""Money, numbers and dates as a viewer reads them and as the voice says them."""

import pytest

from smartvideo.errors import TemplateDataError
from smartvideo.render.formatting import format_date, format_money, format_money_words, format_number, plural


@pytest.mark.parametrize(
    ("value", "currency", "locale", "expected"),
    [
        (135.2, "EUR", "en", "€135.20"),
        (135.2, "EUR", "nl", "€\u00a0135,20"),  # a no-break space keeps € with the amount
        (1234.5, "EUR", "nl", "€\u00a01.234,50"),
        (1234.5, "EUR", "en", "€1,234.50"),
        (9.99, "USD", "en", "$9.99"),
        ("17.5", "EUR", "en", "€17.50"),
        (0, "EUR", "en", "€0.00"),
    ],
)
def test_money_follows_the_locale(value, currency, locale, expected):
    assert format_money(value, currency, locale) == expected


@pytest.mark.parametrize(
    ("value", "locale", "expected"),
    [
        (135.2, "en", "135 euros and 20 cents"),
        (1.01, "en", "1 euro and 1 cent"),
        (0.5, "en", "50 cents"),
        (12, "en", "12 euros"),
        (135.2, "nl", "135 euro en 20 cent"),
        (-5, "en", "minus 5 euros"),
    ],
)
def test_money_in_words_is_what_the_voice_says(value, locale, expected):
    assert format_money_words(value, "EUR", locale) == expected


def test_money_rounds_half_up_to_cents_exactly():
    assert format_money(0.125, "EUR", "en") == "€0.13"
    assert format_money_words(2.675, "EUR", "en") == "2 euros and 68 cents"


@pytest.mark.parametrize("bad", [None, "abc", True, [1]])
def test_money_refuses_what_is_not_a_number(bad):
    with pytest.raises(TemplateDataError, match="must be a number"):
        format_money(bad)


def test_dates_in_english_and_dutch():
    assert format_date("2026-03-12", "en") == "12 March 2026"
    assert format_date("2026-03-12", "nl") == "12 maart 2026"
    with pytest.raises(TemplateDataError, match="YYYY-MM-DD"):
        format_date("next week")


def test_plural_and_numbers():
    assert plural(1, "line") == "1 line"
    assert plural(3, "line") == "3 lines"
    assert plural(2, "child", "children") == "2 children"
    assert format_number(0.25, "percent") == "25%"
    assert format_number(1234, "integer", "nl") == "1.234"
