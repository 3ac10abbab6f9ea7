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


@pytest.mark.parametrize(("value", "locale", "screen", "voice"), [
    (5.5, "en", "€5.50 more", "5 euros and 50 cents more"),
    (-5.5, "en", "€5.50 less", "5 euros and 50 cents less"),
    (0, "en", "the same", "the same"),
    (5.5, "nl", "€\xa05,50 meer", "5 euro en 50 cent meer"),
    (-5.5, "nl", "€\xa05,50 minder", "5 euro en 50 cent minder"),
])
def test_a_money_change_reads_by_its_sign(value, locale, screen, voice):
    from smartvideo.render.formatting import format_money_change

    assert format_money_change(value, "EUR", locale) == screen
    assert format_money_change(value, "EUR", locale, spoken=True) == voice


@pytest.mark.parametrize(("value", "locale", "screen", "voice", "label"), [
    (135.2, "en", "you pay €135.20", "you pay 135 euros and 20 cents", "you pay"),
    (-20.5, "en", "you get €20.50 back", "you get 20 euros and 50 cents back", "you get back"),
    (0, "en", "you pay nothing", "you pay nothing", "you pay"),
    (-20.5, "nl", "krijgt u €\xa020,50 terug", "krijgt u 20 euro en 50 cent terug", "krijgt u terug"),
    (35, "nl", "betaalt u €\xa035,00", "betaalt u 35 euro", "betaalt u"),
])
def test_a_bill_total_reads_as_paying_or_getting_back(value, locale, screen, voice, label):
    from smartvideo.render.formatting import format_payment, payment_label

    assert format_payment(value, "EUR", locale) == screen
    assert format_payment(value, "EUR", locale, spoken=True) == voice
    assert payment_label(value, locale) == label


def test_a_change_of_a_quantity_reads_by_its_sign():
    from decimal import Decimal

    from smartvideo.render.formatting import format_change

    assert format_change(15, "GB") == "15 GB more"
    assert format_change(Decimal("-2.5"), "GB", "nl") == "2,5 GB minder"
    assert format_change(0, "GB") == "the same"


def test_nan_is_never_formatted_as_money_or_a_number():
    from smartvideo.render.formatting import format_number

    with pytest.raises(TemplateDataError):
        format_money(float("nan"))
    with pytest.raises(TemplateDataError):
        format_number(float("nan"), "decimal")
