"""Locale-aware formatting of money, numbers and dates (Babel does the locale rules)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency, format_decimal, format_percent

from smartvideo.errors import TemplateDataError

# Short locales used in stories map to a full one; English money in euros reads like Ireland's.
_LOCALES = {("en", "EUR"): "en_IE", ("en", "USD"): "en_US", ("en", None): "en_IE", ("nl", None): "nl_NL"}

_CURRENCY_WORDS = {
    # currency: {lang: (major singular, major plural, minor singular, minor plural, "and")}
    "EUR": {"en": ("euro", "euros", "cent", "cents", "and"), "nl": ("euro", "euro", "cent", "cent", "en")},
    "USD": {"en": ("dollar", "dollars", "cent", "cents", "and"), "nl": ("dollar", "dollar", "cent", "cent", "en")},
    "GBP": {"en": ("pound", "pounds", "penny", "pence", "and"), "nl": ("pond", "pond", "penny", "pence", "en")},
}


def babel_locale(locale: str, currency: str | None = None) -> str:
    """'en' + EUR -> 'en_IE'; full locales ('nl_BE') pass through."""
    if "_" in locale:
        return locale
    return _LOCALES.get((locale, currency)) or _LOCALES.get((locale, None)) or locale


def to_decimal(value: object, what: str = "value") -> Decimal:
    """Money must be exact: accept int, float, Decimal or numeric text; refuse the rest clearly."""
    if isinstance(value, bool) or value is None:
        raise TemplateDataError(f"{what} must be a number, got {value!r}")
    try:
        amount = Decimal(str(value))
        if not amount.is_finite():
            raise ValueError(value)
        return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise TemplateDataError(f"{what} must be a number, got {value!r}") from None


def format_money(value: object, currency: str = "EUR", locale: str = "en") -> str:
    """135.2 -> '€135.20' (en) or '€ 135,20' (nl)."""
    amount = to_decimal(value, "money amount")
    return format_currency(amount, currency, locale=babel_locale(locale, currency))


def format_money_words(value: object, currency: str = "EUR", locale: str = "en") -> str:
    """135.2 -> '135 euros and 20 cents': how a voice should say an amount."""
    amount = to_decimal(value, "money amount")
    lang = locale.split("_")[0]
    words = _CURRENCY_WORDS.get(currency, {}).get(lang) or _CURRENCY_WORDS.get(currency, {}).get("en")
    if words is None:
        raise TemplateDataError(f"no spoken form for currency {currency!r}")
    major_one, major_many, minor_one, minor_many, joiner = words
    sign = "minus " if amount < 0 and lang == "en" else ("min " if amount < 0 else "")
    amount = abs(amount)
    major = int(amount)
    minor = int((amount - major) * 100)
    major_part = f"{format_decimal(major, locale=babel_locale(locale))} {major_one if major == 1 else major_many}"
    if minor == 0:
        return sign + major_part
    minor_part = f"{minor} {minor_one if minor == 1 else minor_many}"
    if major == 0:
        return sign + minor_part
    return f"{sign}{major_part} {joiner} {minor_part}"


# Sign-aware wording: a negative change reads "less", never "-€5.50 more" or "minus ... more".
_CHANGE_WORDS = {"en": ("more", "less", "the same"), "nl": ("meer", "minder", "hetzelfde")}
_PAYMENT_WORDS = {
    # lang: (pay, get back, nothing to pay, label pay, label get back)
    "en": ("you pay {}", "you get {} back", "you pay nothing", "you pay", "you get back"),
    "nl": ("betaalt u {}", "krijgt u {} terug", "betaalt u niets", "betaalt u", "krijgt u terug"),
}


def _lang(locale: str) -> str:
    lang = locale.split("_")[0]
    return lang if lang in _CHANGE_WORDS else "en"


def format_money_change(value: object, currency: str = "EUR", locale: str = "en", spoken: bool = False) -> str:
    """5.5 -> '€5.50 more', -5.5 -> '€5.50 less' (nl: meer/minder); spoken: in words."""
    amount = to_decimal(value, "money amount")
    more, less, same = _CHANGE_WORDS[_lang(locale)]
    if amount == 0:
        return same
    say = format_money_words if spoken else format_money
    return f"{say(abs(amount), currency, locale)} {more if amount > 0 else less}"


def format_change(value: object, unit: str = "", locale: str = "en") -> str:
    """15 -> '15 GB more', -2.5 -> '2.5 GB less' (nl: '2,5 GB minder'); 0 -> 'the same'."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise TemplateDataError(f"a change must be a number, got {value!r}")
    more, less, same = _CHANGE_WORDS[_lang(locale)]
    if value == 0:
        return same
    shown = format_decimal(abs(Decimal(str(value))), format="#,##0.##", locale=babel_locale(locale))
    return f"{shown}{' ' + unit if unit else ''} {more if value > 0 else less}"


def format_payment(value: object, currency: str = "EUR", locale: str = "en", spoken: bool = False) -> str:
    """135.2 -> 'you pay €135.20'; -20.5 -> 'you get €20.50 back' (nl: 'krijgt u € 20,50 terug')."""
    amount = to_decimal(value, "money amount")
    pay, back, nothing, _, _ = _PAYMENT_WORDS[_lang(locale)]
    if amount == 0:
        return nothing
    say = format_money_words if spoken else format_money
    return (pay if amount > 0 else back).format(say(abs(amount), currency, locale))


def payment_label(value: object, locale: str = "en") -> str:
    """The words before a drawn amount: 'you pay' or, for a credit, 'you get back'."""
    amount = to_decimal(value, "money amount")
    words = _PAYMENT_WORDS[_lang(locale)]
    return words[4] if amount < 0 else words[3]


def format_number(value: float | None, fmt: str | None, locale: str = "en", currency: str = "EUR") -> str:
    """Format a number for display: money | integer | decimal | percent (a fraction, 0.25 -> 25%)."""
    if value is None:
        raise TemplateDataError("a number is missing")
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        raise TemplateDataError(f"a number must be finite, got {value!r}")
    loc = babel_locale(locale, currency)
    if fmt == "money":
        return format_money(value, currency, locale)
    if fmt == "integer":
        return format_decimal(round(float(value)), locale=loc)
    if fmt == "percent":
        return format_percent(float(value), locale=loc)
    return format_decimal(float(value), format="#,##0.##", locale=loc)


def parse_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise TemplateDataError(f"a date must be YYYY-MM-DD, got {value!r}")


def format_date(value: object, locale: str = "en", style: str = "long") -> str:
    """'2026-03-12' -> '12 March 2026' (en) / '12 maart 2026' (nl); style: short|medium|long|full."""
    return babel_format_date(parse_date(value), format=style, locale=babel_locale(locale))


def plural(count: object, singular: str, plural_form: str | None = None) -> str:
    """plural(3, 'line') -> '3 lines'; plural(1, 'line') -> '1 line'."""
    try:
        n = float(count)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TemplateDataError(f"plural needs a number, got {count!r}") from None
    word = singular if n == 1 else (plural_form or singular + "s")
    shown = int(n) if n == int(n) else n
    return f"{shown} {word}"
