"""Times as Huey hands them to periodic checks: a UTC instant with its zone stripped (huey.utils.utcnow)."""

from __future__ import annotations

import datetime


def huey_time(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    """The naive UTC timestamp Huey's consumer passes to a periodic task's check at that UTC moment."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=datetime.UTC).replace(tzinfo=None)
