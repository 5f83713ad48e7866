"""How families pay, for the templates whose view does not pass it (the invoice page and PDF, statements):
`{% how_to_pay as pay %}`, then `{% pay_reference pay invoice as reference %}` for one invoice."""

from __future__ import annotations

from django import template

from modules.fees.instructions import HowToPay, how_to_pay

register = template.Library()


@register.simple_tag(name="how_to_pay")
def how_to_pay_tag() -> HowToPay:
    return how_to_pay()


@register.simple_tag
def pay_reference(pay: HowToPay, invoice, student=None) -> str:
    return pay.reference_for(invoice, student)
