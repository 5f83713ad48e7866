"""Fees: the family fees page and online payment (guardians only)."""

from decimal import Decimal

from tests.access.matrix import Rule, expect


def _sams_invoice(s):
    from modules.fees.models import Invoice
    from tests import factories as f

    return Invoice.objects.filter(number="MATRIX-1").first() or f.InvoiceFactory(
        number="MATRIX-1", year=s.year, student=s.child
    )


def _checkout(s) -> dict:
    from modules.fees.models import CheckoutItem, CheckoutSession

    checkout, created = CheckoutSession.objects.get_or_create(
        stripe_id="cs_test_matrix",
        defaults={"guardian": s.guardian_profile, "amount": Decimal("500.00"), "currency": "USD"},
    )
    if created:
        CheckoutItem.objects.create(checkout=checkout, invoice=_sams_invoice(s), amount=Decimal("500.00"))
    return {"pk": checkout.pk}


RULES = [
    # Every guardian sees their own family's fees; other roles are refused.
    Rule("fees:family", expect=expect(403, guardian=200, other_guardian=200)),
    # Sam's invoice: his guardian is sent back to the page (no Stripe keys in tests: "not available");
    # another guardian is told it does not exist.
    Rule(
        "fees:checkout_start",
        method="post",
        data=lambda s: {"invoice": [_sams_invoice(s).pk]},
        expect=expect(403, guardian=302, other_guardian=404),
    ),
    Rule("fees:checkout_return", kwargs=_checkout, expect=expect(403, guardian=200, other_guardian=404)),
]
