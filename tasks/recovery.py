"""The fan-out sweeper: every minute, notification fan-outs whose task was lost are run again.

Huey does not acknowledge tasks: a worker killed before or while it ran a fan-out task (absence notices
after a register is submitted, "marks published", term results, new invoices, an invitation, new homework,
work returned) loses it, and its
service's transaction rolls back. What is still owed stays in the database (modules/core/fanout.py); each
owning module finds its own, inside a bounded window, and runs its service again, which is safe to run twice
(nobody is told twice). Jobs and deliveries have their own sweeps (tasks/jobs.py, tasks/communications.py);
announcements need none: `publish_due_announcements` already publishes every due announcement not yet
notified, whether its "publish now" task ran or not.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from modules.accounts.services import invitations_recover
from modules.assignments.notices import (
    assignments_notices_recover,
    homework_due_reminders_send,
    missing_work_digest_send,
    returns_notices_recover,
)
from modules.attendance.notices import registers_notices_recover
from modules.attendance.patterns import weekly_digest_send
from modules.exams.publishing import assessments_notices_recover, terms_notices_recover
from modules.fees.notices import invoices_notices_recover
from modules.fees.reminders import send_due_reminders
from tasks import assignments, attendance_reports, fees_reminders


@db_periodic_task(crontab(minute="*"))
def sweep_lost_fanouts() -> int:
    return (
        invitations_recover()
        + registers_notices_recover()
        + assessments_notices_recover()
        + terms_notices_recover()
        + invoices_notices_recover()
        + assignments_notices_recover()
        + returns_notices_recover()
    )


# Runs at a time of day that a killed worker lost. The fee reminders (07:00), the Monday attendance digest
# (07:00), the reminder of homework due tomorrow (16:00) and the guardians' missing-work digest (18:00) are
# periodic tasks, not fan-outs of an event: nothing says "this run is owed" until the next day. Each is safe
# to run again on the same day (a reminder step, a week's digest, an assignment's reminder for its due date, a
# guardian's digest of the day are each sent once), so they are simply run again on the hour for a few hours
# after: a run lost at 07:00 is made up by 08:00, one that succeeded costs a few idle queries. Without this, a
# lost reminder waits a day (or never comes: tomorrow's homework is due by then), and a lost digest is never
# sent (its patterns are no longer "new" next week).
CATCH_UP_HOURS = 4


@db_periodic_task(fees_reminders.REMINDERS.catch_up(hours=CATCH_UP_HOURS))
def catch_up_fee_reminders() -> int:
    return send_due_reminders()


@db_periodic_task(attendance_reports.WEEKLY_DIGEST.catch_up(hours=CATCH_UP_HOURS))
def catch_up_attendance_digest() -> int:
    return weekly_digest_send().new


@db_periodic_task(assignments.DUE_REMINDERS.catch_up(hours=CATCH_UP_HOURS))
def catch_up_homework_due_reminders() -> int:
    return homework_due_reminders_send()


@db_periodic_task(assignments.MISSING_DIGEST.catch_up(hours=CATCH_UP_HOURS))
def catch_up_missing_work_digests() -> int:
    return missing_work_digest_send()
