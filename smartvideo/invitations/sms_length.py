"""SMS length rules: one message is 160 GSM-7 characters, or 70 when any character needs UCS-2.

Counting by Python's len() is wrong both ways: '€' or '[' take two GSM-7 slots (escape + char)
and one 'ł' switches the whole message to UCS-2, cutting it to 70. We count as a gateway does.
"""

from __future__ import annotations

import unicodedata

SINGLE_SMS_GSM7 = 160
SINGLE_SMS_UCS2 = 70

_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")


def is_gsm7(text: str) -> bool:
    return all(ch in _GSM7_BASIC or ch in _GSM7_EXTENDED for ch in text)


def sms_units(text: str) -> int:
    """Length as the network counts it: GSM-7 septets, or UTF-16 code units for UCS-2."""
    if is_gsm7(text):
        return sum(2 if ch in _GSM7_EXTENDED else 1 for ch in text)
    return len(text.encode("utf-16-le")) // 2


def sms_limit(text: str) -> int:
    return SINGLE_SMS_GSM7 if is_gsm7(text) else SINGLE_SMS_UCS2


def fits_one_sms(text: str) -> bool:
    return sms_units(text) <= sms_limit(text)


def fold_to_gsm7(text: str) -> str:
    """'Łukasz Çelik' -> 'Lukasz Çelik': drop accents GSM-7 lacks, keep the ones it has.

    Gateways do the same when asked for GSM-7, and a name with one accent is then still one SMS
    of 160 characters instead of a 70-character UCS-2 message.
    """
    special = {
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Ø": "Ø",
        "ø": "ø",
        "ı": "i",
        "’": "'",
        "‘": "'",
        "“": '"',
        "”": '"',
        "–": "-",
        "—": "-",
        "…": "...",
    }
    out = []
    for ch in text:
        if ch in _GSM7_BASIC or ch in _GSM7_EXTENDED:
            out.append(ch)
        elif ch in special:
            out.append(special[ch])
        else:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
            )
            out.append(base if base and is_gsm7(base) else "?")
    return "".join(out)
