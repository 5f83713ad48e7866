"""Fee reminders to guardians on the school's schedule (FeePolicy: days before and after the due date).

Steps are days relative to the due date: with the defaults, -7, -1, +3 and +14. The rule, run once a day
(tasks/fees_reminders.py) or any number of times:

- An open invoice with something still owed gets, on a given day, at most one reminder: the latest step
  it has reached (days since the due date >= step), and only if no reminder for that step or a later one
  was sent. Steps missed earlier are never caught up: a job that did not run on the -1 day sends only the
  +3 reminder when it runs three days after the due date, not both. An invoice issued five days before its
  due date gets the -7 reminder at once (the latest step it reached).
- A paid, fully credited or cancelled invoice gets nothing, whatever the schedule says.
- Never twice for the same invoice and step: ReminderStep (unique invoice + step) is written in the same
  transaction as the notification, and the notification's event key (fee_reminder:invoice:<pk>:<step>)
  makes the delivery layer refuse a repeat too, so two workers running at once send one reminder.
- Each guardian who receives notifications for the student is told in their own language (`notify`
  renders per language; the amount is formatted when the message is rendered, in that language).

Queries: one for the invoices due a reminder (with the last step sent), one for the guardians, then per
chunk one insert of the steps and `notify`'s bulk work for each invoice.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone

from modules.communications.services import notify, recipients_for_guardians
from modules.fees.models import FeePolicy, Invoice, InvoiceStatus, ReminderStep
from modules.fees.money import lazy_money
from modules.fees.notifications import FEE_REMINDER
from modules.people.selectors import notified_guardians_by_student

# Invoices per transaction: each costs notify's few queries (~13 ms on SQLite), so a chunk holds the write
# lock well under a second and the web pages keep writing while a whole instalment is reminded.
CHUNK = 50


def schedule(policy: FeePolicy) -> list[int]:
    """The steps in days from the due date, earliest first: "7,1" before and "3,14" after → -7, -1, 3, 14."""
    return sorted({-days for days in policy.days_before} | set(policy.days_after))


def step_reached(steps: list[int], days_past_due: int) -> int | None:
    """The latest step reached `days_past_due` days after the due date (negative: before it)."""
    reached = [step for step in steps if step <= days_past_due]
    return reached[-1] if reached else None


def invoices_due_a_reminder(today: datetime.date, steps: list[int]) -> list[tuple[Invoice, int]]:
    """Each open invoice owing money whose latest reached step was not sent yet, with that step."""
    if not steps:
        return []
    invoices = (
        Invoice.objects.filter(
            status=InvoiceStatus.OPEN,
            total__gt=F("amount_paid") + F("amount_credited"),
            due_date__lte=today - datetime.timedelta(days=steps[0]),
        )
        .annotate(last_step=Max("reminders__days"))
        .select_related("student")
        .order_by("due_date", "pk")
    )
    due = []
    for invoice in invoices:
        step = step_reached(steps, (today - invoice.due_date).days)
        if step is None or (invoice.last_step is not None and invoice.last_step >= step):
            continue
        if step < 0 and invoice.issued_on > invoice.due_date + datetime.timedelta(days=step):
            # Issued after this "due soon" step's day (billed close to its due date): the new-invoice
            # notice has just said the same; the next step reminds them.
            continue
        due.append((invoice, step))
    return due


def send_due_reminders(*, today: datetime.date | None = None) -> int:
    """Send today's fee reminders; returns how many invoices' guardians were newly told."""
    today = today or timezone.localdate()
    due = invoices_due_a_reminder(today, schedule(FeePolicy.load()))
    if not due:
        return 0
    guardians = notified_guardians_by_student(sorted({invoice.student_id for invoice, _step in due}))
    url = reverse("fees:family")
    sent = 0
    for start in range(0, len(due), CHUNK):
        chunk = due[start : start + CHUNK]
        with transaction.atomic():
            ReminderStep.objects.bulk_create(
                [ReminderStep(invoice=invoice, days=step) for invoice, step in chunk], ignore_conflicts=True
            )
            for invoice, step in chunk:
                recipients = recipients_for_guardians(guardians.get(invoice.student_id, []))
                if not recipients:
                    continue
                result = notify(
                    recipients,
                    FEE_REMINDER,
                    {
                        "student": invoice.student,
                        "amount": lazy_money(invoice.balance),
                        "due_date": invoice.due_date,
                        "overdue": step > 0,
                        "invoice": invoice,
                    },
                    event=f"invoice:{invoice.pk}:{step:+d}",
                    url=url,
                )
                if (
                    result.notifications
                    or result.deliveries
                    or (result.unreachable and not result.skipped_duplicates)
                ):
                    sent += 1
    return sent
