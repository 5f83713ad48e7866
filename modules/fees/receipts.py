"""Receipts: what a payment's receipt shows (page and PDF) and telling the guardians about it."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.urls import reverse

from modules.communications.services import NotifyResult, notify, recipients_for_guardians
from modules.core.models import SchoolProfile
from modules.fees import ledger
from modules.fees.models import Payment, PaymentMethod
from modules.fees.notifications import PAYMENT_RECEIPT
from modules.fees.statement import statement
from modules.people.models import Guardian, GuardianLink


def payment_for_receipt(queryset, pk: int) -> Payment:
    """A payment with what its receipt prints (student, allocations with their invoices, refunds)."""
    return (
        queryset.select_related("student", "recorded_by", "checkout")
        .prefetch_related("allocations__invoice", "refunds")
        .get(pk=pk)
    )


def owed_after(payment: Payment) -> tuple[Decimal, Decimal]:
    """What the student's account owed just after this payment was recorded, and what it owes today
    (negative: credit).

    Both come from the statement's entries (the ledger's definition: every invoice issued less every credit
    note and payment, plus refunds): today's is its closing balance; "after this payment" sums the entries
    recorded up to the payment itself (by when they were recorded, not by their date, so an invoice issued
    later the same day does not count). A receipt printed again months later still says what was owed
    when the money came in, with today's figure beside it."""
    account = statement(payment.student)
    after = sum(
        (entry.debit - entry.credit for entry in account.entries if entry.created_at <= payment.created_at),
        Decimal("0.00"),
    )
    return after, account.closing_balance


def receipt_context(payment: Payment) -> dict:
    after, today = owed_after(payment)
    return {
        "payment": payment,
        "school": SchoolProfile.load(),
        "allocations": list(payment.allocations.all()),
        "refunds": list(payment.refunds.all()),
        "balance": ledger.balances([payment.student_id])[payment.student_id],
        # Negative balances are the family's credit, printed as a positive amount under that name.
        "owed_after": after,
        "credit_after": -after,
        "owed_today": today,
        "credit_today": -today,
    }


def receipt_filename(payment: Payment) -> str:
    return f"receipt-{payment.receipt_number}.pdf"


def receipt_notify(payments: Iterable[Payment]) -> NotifyResult:
    """Tell each payment's student's guardians (those who receive notifications) that it was received, in
    their language, with a link to the family fees page (where the receipt is). Idempotent per payment."""
    payments = list(payments)
    total = NotifyResult()
    if not payments:
        return total
    # One query for every payment's guardians, with the student each link is for.
    links = GuardianLink.objects.filter(
        student_id__in={p.student_id for p in payments}, receives_notifications=True
    ).select_related("guardian__user", "student")
    guardians: dict[int, list[Guardian]] = {}
    students = {}
    for link in links:
        guardians.setdefault(link.student_id, []).append(link.guardian)
        students[link.student_id] = link.student
    url = reverse("fees:family")
    for payment in payments:
        people = recipients_for_guardians(guardians.get(payment.student_id, []))
        if not people:
            continue
        credit = payment.unallocated
        result = notify(
            people,
            PAYMENT_RECEIPT,
            {
                "student": students[payment.student_id],
                # Decimals: the template formats them in each reader's language.
                "amount": payment.amount,
                "receipt_number": payment.receipt_number,
                "received_on": payment.received_on,
                # Lazy: translated into each reader's language when the message is rendered.
                "method": PaymentMethod(payment.method).label,
                "credit": credit if credit > 0 else None,
            },
            obj=payment,
            url=url,
        )
        total.notifications += result.notifications
        total.deliveries += result.deliveries
        total.unreachable.extend(result.unreachable)
    return total
