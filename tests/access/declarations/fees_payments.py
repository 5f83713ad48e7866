"""Fees: the bursar's payment pages, receipts and Stripe's webhook."""

from decimal import Decimal

from tests.access.matrix import Rule, expect

# The bursar and the office; everyone else signed in is refused.
FEE_STAFF = expect(403, admin=200, bursar=200)


def _child(s) -> dict:
    return {"pk": s.child.pk}


def _payment(s) -> dict:
    from modules.fees import ledger

    result = ledger.record_payment(
        student_id=s.child.pk, amount=Decimal("80.00"), method="cash", key="matrix-payment"
    )
    return {"pk": result.payment.pk}


RULES = [
    Rule("fees:student_account", kwargs=_child, expect=FEE_STAFF),
    # Without ?student= the page is the student search.
    Rule("fees:payment_create", expect=FEE_STAFF),
    Rule("fees:payment_detail", kwargs=_payment, expect=FEE_STAFF),
    # Sam's receipt: fee staff and Sam's guardian; nobody else learns it exists (not Sam: students see no
    # payments).
    Rule("fees:receipt_pdf", kwargs=_payment, expect=expect(404, admin=200, bursar=200, guardian=200)),
    Rule("fees:refund_create", kwargs=_payment, expect=FEE_STAFF),
    # Stripe calls it without a login; an unsigned body is refused for everyone.
    Rule("fees:stripe_webhook", method="post", expect=expect(400, anonymous=400)),
]
