"""Fee reminders: every morning, guardians hear about invoices reaching a step of the school's schedule
(modules/fees/reminders.py). Safe to run twice on a day (nothing is sent twice)."""

from __future__ import annotations

import datetime

from huey.contrib.djhuey import db_periodic_task

from modules.fees.reminders import send_due_reminders
from tasks.clock import school_time

# When reminders go out, in the school's time zone (settings.TIME_ZONE): every day at 07:00.
REMINDER_HOUR, REMINDER_MINUTE = 7, 0


def every_morning(timestamp: datetime.datetime) -> bool:
    """Huey hands periodic checks a naive UTC time; the hour is read in the school's time zone."""
    local = school_time(timestamp)
    return (local.hour, local.minute) == (REMINDER_HOUR, REMINDER_MINUTE)


@db_periodic_task(every_morning)
def fees_send_reminders() -> int:
    return send_due_reminders()
