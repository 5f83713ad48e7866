"""Money on the page and at Stripe: Decimal amounts with the school's currency."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.utils.formats import number_format
from django.utils.functional import lazy

from modules.core.models import SchoolProfile

CURRENCY_CACHE_KEY = "fees:currency"
# ISO 4217 currencies Stripe takes without minor units.
ZERO_DECIMAL = {
    "BIF",
    "CLP",
    "DJF",
    "GNF",
    "JPY",
    "KMF",
    "KRW",
    "MGA",
    "PYG",
    "RWF",
    "UGX",
    "VND",
    "VUV",
    "XAF",
    "XOF",
    "XPF",
}


def school_currency() -> str:
    currency = cache.get(CURRENCY_CACHE_KEY)
    if currency is None:
        currency = (SchoolProfile.load().currency or "USD").upper()
        cache.set(CURRENCY_CACHE_KEY, currency, 60)
    return currency


def quantize(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def format_money(amount: Decimal | None, currency: str | None = None) -> str:
    """'USD 1,250.00' in the active language's number format (es/fr: 'USD 1.250,00' / 'USD 1 250,00')."""
    if amount is None:
        return ""
    currency = currency or school_currency()
    places = 0 if currency in ZERO_DECIMAL else 2
    return f"{currency} {number_format(quantize(amount), places, use_l10n=True, force_grouping=True)}"


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Stripe's integer amount: cents for USD, whole yen for JPY."""
    if currency.upper() in ZERO_DECIMAL:
        return int(quantize(amount).to_integral_value(rounding=ROUND_HALF_UP))
    return int((quantize(amount) * 100).to_integral_value())


def from_minor_units(amount: int, currency: str) -> Decimal:
    if currency.upper() in ZERO_DECIMAL:
        return Decimal(amount).quantize(Decimal("0.01"))
    return (Decimal(amount) / 100).quantize(Decimal("0.01"))


# Formatted when a message is rendered, in its reader's language (notify() renders once per language).
lazy_money = lazy(format_money, str)
