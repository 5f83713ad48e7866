"""The school's clock for periodic tasks: Huey hands each periodic check a naive UTC time, while the school
says "07:00" in its own time zone (settings.TIME_ZONE)."""

from __future__ import annotations

import datetime

from django.utils import timezone


def school_time(timestamp: datetime.datetime) -> datetime.datetime:
    """Huey's timestamp (naive UTC, or aware) as an aware time in the school's time zone."""
    utc = timestamp.replace(tzinfo=datetime.UTC) if timezone.is_naive(timestamp) else timestamp
    return timezone.localtime(utc)
