"""The books: allocation order, credit, idempotent payments, credit notes, refunds, gapless numbers."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from modules.core.models import AuditEvent
from modules.fees import ledger
from modules.fees.models import Invoice, InvoiceStatus, Payment
from tests import factories as f

D = Decimal
pytestmark = pytest.mark.django_db


def _invoice(school, total, days):
    return f.InvoiceFactory(
        year=school.year,
        student=school.child,
        total=D(total),
        due_date=timezone.localdate() + datetime.timedelta(days=days),
    )


def test_it_pays_the_oldest_invoice_first_and_keeps_the_rest_as_credit(school, bursar):
    later = _invoice(school, "300.00", 30)
    older = _invoice(school, "200.00", 5)
    result = ledger.record_payment(
        student_id=school.child.pk, amount=D("550.00"), method="cash", key="form-1", by=bursar
    )
    assert result.created
    older.refresh_from_db()
    later.refresh_from_db()
    assert (older.status, later.status) == (InvoiceStatus.PAID, InvoiceStatus.PAID)
    assert result.payment.unallocated == D("50.00")
    assert result.payment.receipt_number == f"RCT-{school.year.start_date.year}-00001"
    balance = ledger.balances([school.child.pk])[school.child.pk]
    assert (balance.invoiced, balance.credit, balance.due) == (D("0"), D("50.00"), D("-50.00"))
    assert AuditEvent.objects.filter(action="fees.payment", object_id=str(result.payment.pk)).exists()


def test_it_pays_the_chosen_invoice_before_older_ones(school, bursar):
    older = _invoice(school, "200.00", 5)
    chosen = _invoice(school, "300.00", 30)
    ledger.record_payment(
        student_id=school.child.pk,
        amount=D("350.00"),
        method="bank",
        key="form-2",
        by=bursar,
        invoice_ids=[chosen.pk],
    )
    older.refresh_from_db()
    chosen.refresh_from_db()
    assert chosen.status == InvoiceStatus.PAID
    assert (older.status, older.balance) == (InvoiceStatus.OPEN, D("150.00"))


def test_the_same_form_twice_records_one_payment(school, bursar):
    _invoice(school, "200.00", 5)
    pay = {"student_id": school.child.pk, "amount": D("20"), "method": "cash", "key": "k", "by": bursar}
    first = ledger.record_payment(**pay)
    second = ledger.record_payment(**pay)
    assert (first.created, second.created) == (True, False)
    assert second.payment.pk == first.payment.pk
    assert Payment.objects.count() == 1
    assert Invoice.objects.get().amount_paid == D("20.00")


def test_credit_is_used_by_the_next_invoice(school, bursar):
    ledger.record_payment(student_id=school.child.pk, amount=D("80"), method="cash", key="k1", by=bursar)
    invoice = _invoice(school, "200.00", 5)
    assert ledger.apply_credit([school.child.pk], by=bursar) == 1
    invoice.refresh_from_db()
    assert invoice.amount_paid == D("80.00")
    assert ledger.balances([school.child.pk])[school.child.pk].due == D("120.00")


def test_a_credit_note_reduces_what_is_owed_and_no_more(school, bursar):
    invoice = _invoice(school, "200.00", 5)
    ledger.issue_credit_note(invoice_id=invoice.pk, amount=D("50"), reason="Wrong bus fee", by=bursar)
    with pytest.raises(ledger.LedgerError, match="at most"):
        ledger.issue_credit_note(invoice_id=invoice.pk, amount=D("150.01"), reason="Too much", by=bursar)
    note = ledger.issue_credit_note(
        invoice_id=invoice.pk, amount=D("150"), reason="Trip cancelled", by=bursar
    )
    invoice.refresh_from_db()
    assert note.number == f"CN-{school.year.start_date.year}-00002"
    assert (invoice.status, invoice.balance, invoice.amount_credited) == (
        InvoiceStatus.CANCELLED,
        0,
        D("200"),
    )


def test_a_credit_note_on_a_paid_invoice_releases_the_payment_as_credit_for_the_next_invoice(school, bursar):
    paid = _invoice(school, "200.00", 5)
    payment = ledger.record_payment(
        student_id=school.child.pk, amount=D("200"), method="cash", key="k1", by=bursar
    ).payment
    other = _invoice(school, "100.00", 30)  # billed after the payment
    ledger.issue_credit_note(invoice_id=paid.pk, amount=D("140"), reason="Charged twice", by=bursar)
    paid.refresh_from_db()
    other.refresh_from_db()
    payment.refresh_from_db()
    assert (paid.status, paid.amount_paid, paid.amount_credited) == (
        InvoiceStatus.PAID,
        D("60.00"),
        D("140.00"),
    )
    # 140 released: 100 pays the other invoice at once, 40 stays as credit.
    assert (other.status, other.amount_paid) == (InvoiceStatus.PAID, D("100.00"))
    assert (payment.amount_allocated, payment.unallocated) == (D("160.00"), D("40.00"))
    assert ledger.balances([school.child.pk])[school.child.pk].due == D("-40.00")
    assert dict(payment.allocations.values_list("invoice__number", "amount")) == {
        other.number: D("100.00"),
        paid.number: D("60.00"),
    }
    event = AuditEvent.objects.get(action="fees.credit_note")
    assert event.after["released_as_credit"] == "140.00"


def test_a_refund_takes_only_unused_credit(school, bursar):
    _invoice(school, "100.00", 5)
    payment = ledger.record_payment(
        student_id=school.child.pk, amount=D("130"), method="cash", key="k1", by=bursar
    ).payment
    with pytest.raises(ledger.LedgerError):
        ledger.record_refund(payment_id=payment.pk, amount=D("31"), method="cash", reason="Over", by=bursar)
    ledger.record_refund(payment_id=payment.pk, amount=D("30"), method="cash", reason="Over", by=bursar)
    payment.refresh_from_db()
    assert payment.unallocated == D("0.00")


def test_numbers_have_no_gaps_when_a_transaction_rolls_back(school):
    with transaction.atomic():
        assert ledger.next_numbers("INV", school.year, 2)[-1].endswith("-00002")

    def invoices_that_fail_to_write():
        with transaction.atomic():
            ledger.next_numbers("INV", school.year, 5)
            raise RuntimeError("the invoices failed to write")

    with pytest.raises(RuntimeError, match="the invoices failed to write"):
        invoices_that_fail_to_write()
    with transaction.atomic():
        assert ledger.next_numbers("INV", school.year) == [f"INV-{school.year.start_date.year}-00003"]


def test_a_future_dated_payment_is_refused(school, bursar):
    with pytest.raises(ledger.LedgerError, match="future"):
        ledger.record_payment(
            student_id=school.child.pk,
            amount=D("10"),
            method="cash",
            key="k",
            by=bursar,
            received_on=timezone.localdate() + datetime.timedelta(days=1),
        )
    assert not Payment.objects.exists()
