"""A small hand-made set of fees for the report tests (see each test for the figures it expects).

Today T; the term runs T-10 .. T+50 inside the current year.
- Sam (child, 7A): invoice A 500 due T+5; invoice B 300 due T-40 (overdue); invoice C 200 due T+20, fully
  credited (cancelled). Cash 200 today (recorded by the bursar) pays B down to 100.
- Olive (other_child, 7B): invoice D 100 due T+10. Bank 150 on T-30 pays D and leaves 50 credit, refunded
  in cash today.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from modules.fees import ledger
from modules.fees.models import Invoice, Payment, Refund
from tests import factories as f

D = Decimal


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@dataclass
class Books:
    a: Invoice
    b: Invoice
    c: Invoice
    d: Invoice
    cash: Payment
    bank: Payment
    refund: Refund


def invoice(school, student, total, due, section=None, **extra) -> Invoice:
    return f.InvoiceFactory(
        year=school.year, student=student, total=D(total), due_date=due, section=section, **extra
    )


def make_books(school, bursar) -> Books:
    school.term.start_date, school.term.end_date = days(-10), days(50)
    school.term.save()
    a = invoice(school, school.child, "500.00", days(5), school.section)
    b = invoice(school, school.child, "300.00", days(-40), school.section)
    c = invoice(school, school.child, "200.00", days(20), school.section)
    d = invoice(school, school.other_child, "100.00", days(10), school.other_section)
    ledger.issue_credit_note(invoice_id=c.pk, amount=D("200.00"), reason="Billed twice", by=bursar)
    cash = ledger.record_payment(
        student_id=school.child.pk, amount=D("200.00"), method="cash", key="cash-1", by=bursar
    ).payment
    bank = ledger.record_payment(
        student_id=school.other_child.pk,
        amount=D("150.00"),
        method="bank",
        key="bank-1",
        by=bursar,
        reference="TRF 981",
        received_on=days(-30),
    ).payment
    refund = ledger.record_refund(
        payment_id=bank.pk, amount=D("50.00"), method="cash", reason="Overpaid", by=bursar
    )
    for document in (a, b, c, d, cash, bank):
        document.refresh_from_db()
    return Books(a=a, b=b, c=c, d=d, cash=cash, bank=bank, refund=refund)
