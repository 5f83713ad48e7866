"""Fee reminders: every morning, guardians hear about invoices reaching a step of the school's schedule
(modules/fees/reminders.py). Safe to run twice on a day (nothing is sent twice)."""

from __future__ import annotations

from huey.contrib.djhuey import db_periodic_task

from modules.core.clock import SchoolTime
from modules.fees.reminders import send_due_reminders

# When reminders go out, in the school's time zone (settings.TIME_ZONE): every day at 07:00.
REMINDERS = SchoolTime(hour=7)


@db_periodic_task(REMINDERS)
def send_fee_reminders() -> int:
    return send_due_reminders()
