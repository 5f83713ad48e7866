"""Telling families about new invoices (on the queue, after the invoices are committed)."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse

from modules.communications.models import NotificationKind
from modules.communications.services import notify, recipients_for_guardians
from modules.fees.models import Invoice, InvoiceStatus
from modules.fees.money import lazy_money
from modules.people.selectors import notified_guardians_by_student


def notify_new_invoices(invoice_ids: Iterable[int]) -> int:
    """Tell each student's guardians (those who receive notifications) about the invoice, in their language.
    Keyed by the invoice: running this twice tells nobody twice. Invoices settled meanwhile (credit, a
    quick payment) are skipped. Returns how many invoices were announced."""
    invoices = list(
        Invoice.objects.filter(pk__in=list(invoice_ids), status=InvoiceStatus.OPEN)
        .select_related("student", "instalment")
        .order_by("pk")
    )
    if not invoices:
        return 0
    guardians = notified_guardians_by_student(sorted({invoice.student_id for invoice in invoices}))
    url = reverse("fees:family")
    told = 0
    for invoice in invoices:
        recipients = recipients_for_guardians(guardians.get(invoice.student_id, []))
        if not recipients:
            continue
        notify(
            recipients,
            NotificationKind.NEW_INVOICE,
            {
                "student": invoice.student,
                "invoice": invoice,
                "amount": lazy_money(invoice.balance),
                "due_date": invoice.due_date,
                "label": invoice.instalment.label if invoice.instalment_id else "",
            },
            obj=invoice,
            url=url,
        )
        told += 1
    return told
