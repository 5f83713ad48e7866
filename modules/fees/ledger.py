"""The books: document numbers, payments and their allocation, credit notes, refunds, credit.

Every write here runs in one transaction with the rows it changes locked (invoice and payment running
totals), writes its audit event, and leaves the database's checks true: an invoice is never settled above
its total, a payment never used above its amount. Views and the Stripe webhook call these; nothing else
changes money.

Rules:
- A payment goes first to the invoices it was meant for (the one the bursar chose, or a Stripe checkout's
  invoices), then to the student's oldest open invoices (by due date); what is left is the student's credit.
- Credit (the unallocated part of payments) is used by the next invoice (`apply_credit`) or refunded.
- A credit note reduces an invoice by at most what was invoiced and not yet credited. On a (partly) paid
  invoice, the paid part it covers is released from the allocations as the student's credit, which pays
  their other open invoices at once; what remains is credit for the next invoice, or refunded.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.academics.models import AcademicYear
from modules.core.audit import audit_log
from modules.fees.events import payment_recorded
from modules.fees.models import (
    INVOICE_OWED,
    PAYMENT_UNUSED,
    ZERO,
    Allocation,
    CreditNote,
    DocumentKind,
    DocumentSequence,
    Invoice,
    InvoiceStatus,
    Payment,
    Refund,
)


class LedgerError(Exception):
    """A refused change, with a message for the person who asked (translated)."""


def year_for(day: datetime.date) -> AcademicYear:
    """The academic year a document dated `day` is numbered in: the year containing it, else the current."""
    year = AcademicYear.objects.filter(start_date__lte=day, end_date__gte=day).first()
    year = year or AcademicYear.objects.current() or AcademicYear.objects.order_by("-start_date").first()
    if year is None:
        raise LedgerError(_("Set up an academic year before recording fees."))
    return year


def format_number(kind: str, year: AcademicYear, number: int) -> str:
    return f"{kind}-{year.start_date.year}-{number:05d}"


def next_numbers(kind: str, year: AcademicYear, count: int = 1) -> list[str]:
    """Take `count` consecutive numbers. Must run inside the transaction that writes the documents: the
    sequence row stays locked until it commits, and a rollback gives the numbers back (no gaps)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_numbers() must run inside the transaction that writes the documents")
    try:
        with transaction.atomic():
            DocumentSequence.objects.get_or_create(kind=kind, year=year)
    except IntegrityError:  # created by a concurrent transaction a moment ago
        pass
    sequence = DocumentSequence.objects.select_for_update().get(kind=kind, year=year)
    first = sequence.last + 1
    sequence.last += count
    sequence.save(update_fields=["last"])
    return [format_number(kind, year, number) for number in range(first, first + count)]


def _status(invoice: Invoice) -> str:
    if invoice.amount_credited >= invoice.total:
        return InvoiceStatus.CANCELLED
    if invoice.amount_paid + invoice.amount_credited >= invoice.total:
        return InvoiceStatus.PAID
    return InvoiceStatus.OPEN


def _settle(invoice: Invoice, *, paid: Decimal = ZERO, credited: Decimal = ZERO) -> None:
    invoice.amount_paid += paid
    invoice.amount_credited += credited
    invoice.status = _status(invoice)
    invoice.save(update_fields=["amount_paid", "amount_credited", "status"])


def _lock_open_invoices(student_id: int, first: Sequence[int] = ()) -> list[Invoice]:
    """The student's open invoices, locked: the chosen ones first (in the order given), then oldest first."""
    invoices = list(
        Invoice.objects.select_for_update()
        .filter(student_id=student_id, status=InvoiceStatus.OPEN)
        .order_by("due_date", "number")
    )
    rank = {pk: index for index, pk in enumerate(first)}
    return sorted(invoices, key=lambda invoice: rank.get(invoice.pk, len(rank)))


def _allocate(
    payment: Payment, invoices: Iterable[Invoice], limits: dict[int, Decimal] | None = None
) -> None:
    """Spread what is left of `payment` over `invoices` in order (each up to its balance, and up to its
    limit when one is given). Both payment and invoices must be locked by the caller."""
    left = payment.unallocated
    rows = []
    for invoice in invoices:
        if left <= 0:
            break
        share = min(
            left, invoice.balance, limits.get(invoice.pk, invoice.balance) if limits else invoice.balance
        )
        if share <= 0:
            continue
        existing = Allocation.objects.filter(payment=payment, invoice=invoice).first()
        if existing is not None:
            Allocation.objects.filter(pk=existing.pk).update(amount=F("amount") + share)
        else:
            rows.append(Allocation(payment=payment, invoice=invoice, amount=share))
        _settle(invoice, paid=share)
        left -= share
    Allocation.objects.bulk_create(rows)
    used = payment.unallocated - left
    if used:
        payment.amount_allocated += used
        payment.save(update_fields=["amount_allocated"])


@dataclass(frozen=True)
class PaymentResult:
    payment: Payment
    created: bool


def record_payment(
    *,
    student_id: int,
    amount: Decimal,
    method: str,
    key: str,
    by=None,
    reference: str = "",
    received_on: datetime.date | None = None,
    payer_name: str = "",
    invoice_ids: Sequence[int] = (),
    limits: dict[int, Decimal] | None = None,
    checkout=None,
) -> PaymentResult:
    """Record money received for a student and allocate it (see the module's rules). `key` makes it
    idempotent: the same key again returns the payment already recorded, however the calls interleave.
    `invoice_ids` are allocated first (each up to `limits[id]` when given: a checkout's amounts)."""
    amount = Decimal(amount)
    if amount <= 0:
        raise LedgerError(_("The amount must be more than zero."))
    existing = Payment.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return PaymentResult(existing, False)
    received_on = received_on or timezone.localdate()
    if received_on > timezone.localdate():
        raise LedgerError(_("A payment cannot be dated in the future."))
    try:
        with transaction.atomic():
            year = year_for(received_on)
            (number,) = next_numbers(DocumentKind.RECEIPT, year)
            payment = Payment.objects.create(
                receipt_number=number,
                year=year,
                student_id=student_id,
                amount=amount,
                method=method,
                reference=reference,
                received_on=received_on,
                payer_name=payer_name,
                idempotency_key=key,
                checkout=checkout,
                recorded_by=by if by is not None and by.is_authenticated else None,
            )
            invoices = _lock_open_invoices(student_id, first=invoice_ids)
            chosen = [invoice for invoice in invoices if invoice.pk in set(invoice_ids)]
            if chosen:
                _allocate(payment, chosen, limits)
            _allocate(payment, invoices)
            audit_log(
                actor=by,
                action="fees.payment",
                obj=payment,
                after={
                    "student": student_id,
                    "amount": str(amount),
                    "method": method,
                    "reference": reference,
                    "received_on": received_on.isoformat(),
                    "allocated": {
                        a.invoice.number: str(a.amount) for a in payment.allocations.select_related("invoice")
                    },
                    "credit": str(payment.unallocated),
                },
            )
            payment_recorded.send_on_commit(payment_id=payment.pk, by=by)
    except IntegrityError:
        existing = Payment.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return PaymentResult(existing, False)
    return PaymentResult(payment, True)


def apply_credit(student_ids: Iterable[int], *, by=None) -> int:
    """Use students' credit (unallocated payments, oldest first) on their open invoices, oldest first.
    Returns how many payments were (partly) allocated."""
    ids = set(student_ids)
    if not ids:
        return 0
    with transaction.atomic():
        payments = list(
            Payment.objects.select_for_update()
            .with_credit()
            .filter(student_id__in=ids)
            .order_by("student_id", "received_on", "pk")
        )
        used = 0
        invoices_by_student: dict[int, list[Invoice]] = {}
        for payment in payments:
            if payment.student_id not in invoices_by_student:
                invoices_by_student[payment.student_id] = _lock_open_invoices(payment.student_id)
            before = payment.amount_allocated
            _allocate(
                payment,
                [i for i in invoices_by_student[payment.student_id] if i.status == InvoiceStatus.OPEN],
            )
            if payment.amount_allocated != before:
                used += 1
                audit_log(
                    actor=by,
                    action="fees.credit_applied",
                    obj=payment,
                    before={"allocated": str(before)},
                    after={"allocated": str(payment.amount_allocated)},
                )
    return used


def _release(invoice: Invoice, amount: Decimal) -> None:
    """Take `amount` of what was paid on `invoice` off its allocations, newest first: that money becomes its
    payments' unallocated part (the student's credit). The caller holds the invoice's lock."""
    allocations = list(invoice.allocations.order_by("-created_at", "-pk"))
    payments = Payment.objects.select_for_update().in_bulk([a.payment_id for a in allocations])
    left = amount
    for allocation in allocations:
        if left <= 0:
            break
        take = min(allocation.amount, left)
        if take == allocation.amount:
            allocation.delete()
        else:
            allocation.amount -= take
            allocation.save(update_fields=["amount"])
        payment = payments[allocation.payment_id]
        payment.amount_allocated -= take
        payment.save(update_fields=["amount_allocated"])
        left -= take


def issue_credit_note(*, invoice_id: int, amount: Decimal, reason: str, by) -> CreditNote:
    """Reduce an issued invoice by `amount` (at most what was invoiced and not credited yet). When part of
    it was already paid, that part of the payment is released as the student's credit and used at once by
    their other open invoices (oldest first); what is left stays as credit, to be used or refunded."""
    amount = Decimal(amount)
    if amount <= 0:
        raise LedgerError(_("The amount must be more than zero."))
    if not reason.strip():
        raise LedgerError(_("Give the reason for the credit note."))
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if amount > invoice.creditable:
            raise LedgerError(
                _("A credit note can reduce this invoice by at most %(amount)s (not credited yet).")
                % {"amount": invoice.creditable}
            )
        (number,) = next_numbers(DocumentKind.CREDIT_NOTE, year_for(timezone.localdate()))
        note = CreditNote.objects.create(
            number=number, invoice=invoice, amount=amount, reason=reason.strip(), created_by=by
        )
        before = {
            "paid": str(invoice.amount_paid),
            "credited": str(invoice.amount_credited),
            "status": invoice.status,
        }
        released = max(ZERO, amount - invoice.balance)
        if released:
            _release(invoice, released)
        _settle(invoice, paid=-released, credited=amount)
        audit_log(
            actor=by,
            action="fees.credit_note",
            obj=invoice,
            before=before,
            after={
                "paid": str(invoice.amount_paid),
                "credited": str(invoice.amount_credited),
                "status": invoice.status,
                "credit_note": number,
                "released_as_credit": str(released),
            },
            reason=reason,
        )
        if released:
            apply_credit([invoice.student_id], by=by)
    return note


def record_refund(
    *, payment_id: int, amount: Decimal, method: str, reason: str, by, reference: str = ""
) -> Refund:
    amount = Decimal(amount)
    if amount <= 0:
        raise LedgerError(_("The amount must be more than zero."))
    if not reason.strip():
        raise LedgerError(_("Give the reason for the refund."))
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if amount > payment.unallocated:
            raise LedgerError(
                _("At most %(credit)s of this payment is unused credit that can be refunded.")
                % {"credit": payment.unallocated}
            )
        (number,) = next_numbers(DocumentKind.REFUND, year_for(timezone.localdate()))
        refund = Refund.objects.create(
            number=number,
            payment=payment,
            amount=amount,
            method=method,
            reference=reference,
            reason=reason.strip(),
            recorded_by=by,
        )
        before = {"refunded": str(payment.amount_refunded)}
        payment.amount_refunded += amount
        payment.save(update_fields=["amount_refunded"])
        audit_log(
            actor=by,
            action="fees.refund",
            obj=payment,
            before=before,
            after={"refunded": str(payment.amount_refunded), "refund": number},
            reason=reason,
        )
    return refund


@dataclass(frozen=True)
class Balance:
    invoiced: Decimal  # open invoices' outstanding amounts
    credit: Decimal  # unallocated payments

    @property
    def due(self) -> Decimal:
        """What the family should pay now (negative: the school owes them)."""
        return self.invoiced - self.credit


def balances(student_ids: Iterable[int]) -> dict[int, Balance]:
    """Outstanding and credit per student, in two queries."""
    ids = list(student_ids)
    owed = dict(
        Invoice.objects.filter(student_id__in=ids, status=InvoiceStatus.OPEN)
        .values("student_id")
        .annotate(owed=Sum(INVOICE_OWED))
        .values_list("student_id", "owed")
    )
    credit = dict(
        Payment.objects.with_credit()
        .filter(student_id__in=ids)
        .values("student_id")
        .annotate(credit=Sum(PAYMENT_UNUSED))
        .values_list("student_id", "credit")
    )
    return {
        pk: Balance(invoiced=Decimal(owed.get(pk) or ZERO), credit=Decimal(credit.get(pk) or ZERO))
        for pk in ids
    }
