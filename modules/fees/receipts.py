"""Receipts: what a payment's receipt shows (page and PDF) and telling the guardians about it."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse

from modules.communications.models import NotificationKind
from modules.communications.services import NotifyResult, notify, recipients_for_guardians
from modules.core.models import SchoolProfile
from modules.fees import ledger
from modules.fees.models import Payment, PaymentMethod
from modules.people.models import Guardian, GuardianLink


def payment_for_receipt(queryset, pk: int) -> Payment:
    """A payment with what its receipt prints (student, allocations with their invoices, refunds)."""
    return (
        queryset.select_related("student", "recorded_by", "checkout")
        .prefetch_related("allocations__invoice", "refunds")
        .get(pk=pk)
    )


def receipt_context(payment: Payment) -> dict:
    return {
        "payment": payment,
        "school": SchoolProfile.load(),
        "allocations": list(payment.allocations.all()),
        "refunds": list(payment.refunds.all()),
        "balance": ledger.balances([payment.student_id])[payment.student_id],
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
            NotificationKind.PAYMENT_RECEIPT,
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
