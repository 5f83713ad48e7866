"""Fee reminders: each step of the schedule once per invoice, only the latest step reached, in the
guardian's language, never after payment, safe to run twice (and by two workers)."""

from __future__ import annotations

import datetime

import pytest

from modules.communications.models import Delivery, Notification
from modules.fees import ledger
from modules.fees.models import FeePolicy, ReminderStep
from modules.fees.reminders import schedule, send_due_reminders, step_reached
from tasks.fees_reminders import send_fee_reminders
from tests import factories as f
from tests.clock import huey_time
from tests.fees.report_data import D, invoice

pytestmark = pytest.mark.django_db
DUE = datetime.date(2026, 3, 20)


def _invoice(*args, **kwargs):
    """An invoice issued a month before DUE (the reminders' dates are simulated around DUE)."""
    kwargs.setdefault("issued_on", DUE - datetime.timedelta(days=30))
    return invoice(*args, **kwargs)


def day(offset: int) -> datetime.date:
    return DUE + datetime.timedelta(days=offset)


def steps_sent(inv) -> list[int]:
    return sorted(ReminderStep.objects.filter(invoice=inv).values_list("days", flat=True))


def test_the_schedule_comes_from_the_policy(db):
    policy = FeePolicy.load()
    assert schedule(policy) == [-7, -1, 3, 14]
    policy.reminder_days_before, policy.reminder_days_after = "10, 2", ""
    assert schedule(policy) == [-10, -2]
    assert step_reached([-7, -1, 3, 14], -8) is None
    assert step_reached([-7, -1, 3, 14], -7) == -7
    assert step_reached([-7, -1, 3, 14], 2) == -1
    assert step_reached([-7, -1, 3, 14], 200) == 14


def test_each_step_goes_out_once_on_its_day(school, guardian):
    inv = _invoice(school, school.child, "250.00", DUE, school.section)
    assert send_due_reminders(today=day(-8)) == 0
    assert send_due_reminders(today=day(-7)) == 1
    assert send_due_reminders(today=day(-7)) == 0  # twice on the same day sends once
    assert send_due_reminders(today=day(-5)) == 0
    assert send_due_reminders(today=day(-1)) == 1
    assert send_due_reminders(today=day(3)) == 1
    assert send_due_reminders(today=day(14)) == 1
    assert send_due_reminders(today=day(40)) == 0
    assert steps_sent(inv) == [-7, -1, 3, 14]
    notes = Notification.objects.filter(recipient=guardian).order_by("pk")
    assert notes.count() == 4
    assert [n.title for n in notes] == [
        "Fees due soon for Sam",
        "Fees due soon for Sam",
        "Overdue fees for Sam",
        "Overdue fees for Sam",
    ]
    assert "USD 250.00 is due for Sam Parent" in notes[0].body
    assert "was due on" in notes[2].body
    assert Delivery.objects.filter(recipient=guardian, channel="email").count() == 4


def test_an_invoice_issued_close_to_its_due_date_skips_the_early_reminder(school, guardian):
    # Issued five days before it is due: the new-invoice notice said it all; -7 never goes, -1 does.
    inv = _invoice(school, school.child, "250.00", DUE, school.section, issued_on=day(-5))
    assert send_due_reminders(today=day(-5)) == 0
    assert send_due_reminders(today=day(-4)) == 0
    assert send_due_reminders(today=day(-1)) == 1
    assert send_due_reminders(today=day(3)) == 1
    assert steps_sent(inv) == [-1, 3]


def test_missed_steps_are_not_caught_up(school, guardian):
    inv = _invoice(school, school.child, "90.00", DUE, school.section)
    # The job did not run before the due date: three days after it, only the +3 reminder goes.
    assert send_due_reminders(today=day(5)) == 1
    assert steps_sent(inv) == [3]
    assert Notification.objects.filter(recipient=guardian).count() == 1
    assert send_due_reminders(today=day(6)) == 0


def test_a_paid_invoice_gets_nothing_more(school, guardian, bursar):
    inv = _invoice(school, school.child, "120.00", DUE, school.section)
    assert send_due_reminders(today=day(-7)) == 1
    ledger.record_payment(
        student_id=school.child.pk, amount=D("120"), method="cash", key="pay", by=bursar, received_on=day(-3)
    )
    assert send_due_reminders(today=day(-1)) == 0
    assert send_due_reminders(today=day(3)) == 0
    assert steps_sent(inv) == [-7]


def test_the_amount_is_what_is_still_owed(school, guardian, bursar):
    _invoice(school, school.child, "300.00", DUE, school.section)
    ledger.record_payment(
        student_id=school.child.pk, amount=D("120"), method="cash", key="part", by=bursar, received_on=day(-9)
    )
    send_due_reminders(today=day(-1))
    assert "USD 180.00 is due" in Notification.objects.get(recipient=guardian).body


def test_it_speaks_each_guardians_language(school, guardian):
    guardian.language = "es"
    guardian.save()
    _invoice(school, school.child, "75.00", DUE, school.section)
    send_due_reminders(today=day(3))
    delivery = Delivery.objects.get(channel="email", recipient=guardian)
    assert delivery.language == "es"
    assert delivery.address == "parent@school.test"
    # Nobody else's family hears about Sam's invoice.
    assert not Delivery.objects.exclude(recipient=guardian).exists()


def test_a_guardian_who_opted_out_of_notices_for_the_child_is_not_told(school, guardian):
    school.child.guardian_links.update(receives_notifications=False)
    inv = _invoice(school, school.child, "75.00", DUE, school.section)
    assert send_due_reminders(today=day(3)) == 0
    assert steps_sent(inv) == [3]
    assert not Notification.objects.exists()


def test_a_second_worker_that_missed_the_step_row_still_sends_nothing_twice(school, guardian):
    inv = _invoice(school, school.child, "60.00", DUE, school.section)
    assert send_due_reminders(today=day(3)) == 1
    # A worker that read the invoices before the first one wrote its step row: the event key stops it.
    ReminderStep.objects.filter(invoice=inv).delete()
    assert send_due_reminders(today=day(3)) == 0
    assert Notification.objects.filter(recipient=guardian).count() == 1
    assert Delivery.objects.filter(recipient=guardian).count() == 1


def test_the_email_goes_out(school, guardian, mailoutbox, django_capture_on_commit_callbacks):
    _invoice(school, school.child, "75.00", DUE, school.section)
    with django_capture_on_commit_callbacks(execute=True):
        send_due_reminders(today=day(-1))
    assert [message.to for message in mailoutbox] == [["parent@school.test"]]
    assert mailoutbox[0].subject == "Fees due soon for Sam"


def test_its_queries_grow_only_with_notify_per__invoice(school, guardian, django_assert_max_num_queries):
    """Finding the invoices and their guardians is a fixed handful of queries; each invoice then costs
    notify's few bulk queries (its recipients and context differ)."""
    for _index in range(12):
        student = f.StudentFactory()
        f.GuardianLinkFactory(student=student, guardian=f.GuardianFactory())
        _invoice(school, student, "10.00", DUE, school.section)
    with django_assert_max_num_queries(10 + 12 * 6) as captured:
        assert send_due_reminders(today=day(3)) == 12
    with django_assert_max_num_queries(3):
        assert send_due_reminders(today=day(3)) == 0
    assert len(captured.captured_queries) >= 12  # one delivery insert per invoice at least


def test_the_task_runs_every_morning_in_the_schools_time_zone():
    every_morning = send_fee_reminders.task_class().validate_datetime
    assert every_morning(huey_time(2026, 3, 18, 7, 0))  # naive UTC, as Huey passes it (TZ=UTC)
    assert not every_morning(huey_time(2026, 3, 18, 7, 1))
    assert not every_morning(huey_time(2026, 3, 18, 19, 0))


def test_invoices_beyond_one_transaction_chunk_are_all_reminded_once(school, monkeypatch):
    monkeypatch.setattr("modules.fees.reminders.CHUNK", 2)
    invoices = []
    for _index in range(5):
        student = f.StudentFactory()
        f.GuardianLinkFactory(student=student, guardian=f.GuardianFactory())
        invoices.append(_invoice(school, student, "10.00", DUE, school.section))
    assert send_due_reminders(today=day(-7)) == 5
    assert send_due_reminders(today=day(-7)) == 0
    assert [steps_sent(inv) for inv in invoices] == [[-7]] * 5
    assert Delivery.objects.filter(channel="email").count() == 5
