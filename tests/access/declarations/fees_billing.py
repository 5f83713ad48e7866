from decimal import Decimal

from modules.fees import ledger
from tests import factories as f
from tests.access.matrix import Rule, expect

# Fee documents: the office and the bursar every invoice; a guardian their own children's; others 404.
FAMILY_DOCUMENT = expect(404, admin=200, bursar=200, guardian=200)


def _invoice(s) -> dict:
    return {"pk": f.InvoiceFactory(year=s.year, student=s.child).pk}


def _credit_note(s) -> dict:
    invoice = f.InvoiceFactory(year=s.year, student=s.child)
    note = ledger.issue_credit_note(invoice_id=invoice.pk, amount=Decimal("5"), reason="Correction", by=None)
    return {"pk": note.pk}


# Office pages of billing: the bursar and administrators (403 for anyone else signed in).
FEE_STAFF = expect(403, admin=200, bursar=200)

RULES = [
    Rule("fees:invoice_list", expect=FEE_STAFF),
    Rule("fees:invoice_detail", kwargs=_invoice, expect=FEE_STAFF),
    # An empty credit-note form is re-rendered with its errors on the invoice's page.
    Rule("fees:credit_note_create", method="post", kwargs=_invoice, expect=FEE_STAFF),
    Rule("fees:invoice_pdf", kwargs=_invoice, expect=FAMILY_DOCUMENT),
    Rule("fees:credit_note_pdf", kwargs=_credit_note, expect=FAMILY_DOCUMENT),
]
