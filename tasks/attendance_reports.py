"""The weekly attendance digest: on Monday morning, homeroom teachers and the office hear which students
were newly flagged with an absence pattern. Safe to run twice in a week (nothing is sent twice)."""

from __future__ import annotations

import datetime

from huey.contrib.djhuey import db_periodic_task

from modules.attendance.patterns import weekly_digest_send
from tasks.clock import school_time

# When the digest goes out, in the school's time zone (settings.TIME_ZONE): Monday 07:00.
DIGEST_WEEKDAY, DIGEST_HOUR, DIGEST_MINUTE = 0, 7, 0


def monday_morning(timestamp: datetime.datetime) -> bool:
    """Huey hands periodic checks a naive UTC time; the digest hour is read in the school's time zone."""
    local = school_time(timestamp)
    return (local.weekday(), local.hour, local.minute) == (DIGEST_WEEKDAY, DIGEST_HOUR, DIGEST_MINUTE)


@db_periodic_task(monday_morning)
def attendance_weekly_digest() -> int:
    return weekly_digest_send().new
