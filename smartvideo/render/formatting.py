"""Locale-aware formatting of money, numbers and dates (Babel does the locale rules)."""

from __future__ import annotations

import datetime as dt
import re
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
        return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise TemplateDataError(f"{what} must be a number, got {value!r}") from None


def format_money(value: object, currency: str = "EUR", locale: str = "en", cents: str = "always") -> str:
    """135.2 -> '€135.20' (en) or '€ 135,20' (nl); with cents='when_needed', 135 -> '€135'."""
    amount = to_decimal(value, "money amount")
    loc = babel_locale(locale, currency)
    if cents == "when_needed" and amount == amount.to_integral_value():
        return format_currency(amount, currency, locale=loc, currency_digits=False, format_type="standard",
                               decimal_quantization=True, format=_whole_pattern(loc))
    return format_currency(amount, currency, locale=loc)


def _whole_pattern(locale: str) -> str:
    """The locale's currency pattern without its fraction digits ('¤#,##0.00' -> '¤#,##0')."""
    from babel import Locale

    pattern = Locale.parse(locale).currency_formats["standard"].pattern
    return re.sub(r"\.0+", "", pattern)


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


def format_number(value: float | None, fmt: str | None, locale: str = "en", currency: str = "EUR",
                  cents: str = "always") -> str:
    """Format a number for display: money | integer | decimal | percent (a fraction, 0.25 -> 25%)."""
    if value is None:
        raise TemplateDataError("a number is missing")
    loc = babel_locale(locale, currency)
    if fmt == "money":
        return format_money(value, currency, locale, cents)
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
