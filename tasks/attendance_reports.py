"""The weekly attendance digest: on Monday morning, homeroom teachers and the office hear which students
were newly flagged with an absence pattern. Safe to run twice in a week (nothing is sent twice)."""

from __future__ import annotations

from huey.contrib.djhuey import db_periodic_task

from modules.attendance.patterns import weekly_digest_send
from modules.core.clock import MONDAY, SchoolTime

# When the digest goes out, in the school's time zone (settings.TIME_ZONE): Monday 07:00.
WEEKLY_DIGEST = SchoolTime(hour=7, weekday=MONDAY)


@db_periodic_task(WEEKLY_DIGEST)
def send_attendance_digest() -> int:
    return weekly_digest_send().new
