"""Telling families about new invoices (on the queue, after the invoices are committed)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.urls import reverse

from modules.communications.services import notify, recipients_for_guardians
from modules.core.fanout import FANOUT_BATCH, fanouts_rerun, overdue_window
from modules.fees.models import Invoice, InvoiceStatus
from modules.fees.money import lazy_money
from modules.fees.notifications import NEW_INVOICE
from modules.people.selectors import notified_guardians_by_student


@transaction.atomic
def notify_new_invoices(invoice_ids: Iterable[int]) -> int:
    """Tell each student's guardians (those who receive notifications) about the invoice, in their language.
    Keyed by the invoice: running this twice tells nobody twice. Invoices settled meanwhile (credit, a
    quick payment) are skipped. Clears `notice_due_at` in the same transaction: an invoice that keeps it
    was not announced, and `invoices_notices_recover` runs it again if its task was lost. Returns how many
    invoices were announced."""
    invoice_ids = list(invoice_ids)
    Invoice.objects.filter(pk__in=invoice_ids, notice_due_at__isnull=False).update(notice_due_at=None)
    invoices = list(
        Invoice.objects.filter(pk__in=invoice_ids, status=InvoiceStatus.OPEN)
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
            NEW_INVOICE,
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


def invoices_notices_recover(*, now: datetime.datetime | None = None) -> int:
    """Announce new invoices whose notice task was lost (modules/core/fanout.py), one batch per sweep.
    Returns how many invoices were run again."""
    window = overdue_window(now)
    due = list(
        Invoice.objects.filter(notice_due_at__range=window.as_range())
        .order_by("notice_due_at", "pk")
        .values_list("pk", flat=True)[:FANOUT_BATCH]
    )
    if not due:
        return 0
    return len(due) * fanouts_rerun([due], notify_new_invoices, what="new invoice")
