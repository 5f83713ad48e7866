"""Numbers for people to read, in the reader's language: "5,5/10" and "64,8" in Spanish and French, "5.5/10"
in English. Everything a person reads goes through here (or through Django's own localisation in templates:
``{{ decimal }}``, ``floatformat``); values a machine reads back (an ``<input type="number">`` value, a CSV or
XLSX for re-import, JSON, audit payloads) keep the dot and are not formatted here.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils import formats


def as_decimal(value: object) -> Decimal | None:
    """The value as a finite Decimal, or None when it is not a number ("ex", "", None)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def number_text(value: Decimal | float | int | str | None, decimal_places: int | None = None) -> str:
    """The number in the active language. decimal_places=None keeps the places the value has, without
    trailing zeros ("5", "5.5", "7.25"); a text that is not a number (a mark code such as "abs") is returned
    unchanged, so a mark's display text can be passed as it is."""
    number = as_decimal(value)
    if number is None:
        return "" if value is None else str(value)
    if decimal_places is None:
        exponent = number.normalize().as_tuple().exponent
        decimal_places = max(0, -exponent) if isinstance(exponent, int) else 0
    return formats.number_format(number, decimal_places, use_l10n=True)
