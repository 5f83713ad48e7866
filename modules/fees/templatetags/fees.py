from django import template

from modules.fees.money import format_money

register = template.Library()


@register.filter
def money(amount, currency=None):
    """{{ invoice.total|money }} → 'USD 1,250.00' in the school's currency and the page's number format."""
    return format_money(amount, currency or None)
