"""The school's clock for periodic tasks: one way to say "at 07:00 school time" (and "on Monday").

Huey hands each periodic check a naive UTC time, while the school says "07:00" in its own time zone
(settings.TIME_ZONE). A `SchoolTime` is the check Huey calls (`@db_periodic_task(SchoolTime(hour=7))`);
`.catch_up(hours=4)` is the check for the same minute on the hours after, for a run a killed worker lost
(tasks/recovery.py).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

MONDAY = 0


def school_time(timestamp: datetime.datetime) -> datetime.datetime:
    """Huey's timestamp (naive UTC, or aware) as an aware time in the school's time zone."""
    utc = timestamp.replace(tzinfo=datetime.UTC) if timezone.is_naive(timestamp) else timestamp
    return timezone.localtime(utc)


@dataclass(frozen=True)
class SchoolTime:
    """Every day (or one weekday, 0 = Monday) at hour:minute in the school's time zone."""

    hour: int
    minute: int = 0
    weekday: int | None = None

    def _on_the_day(self, local: datetime.datetime) -> bool:
        return self.weekday is None or local.weekday() == self.weekday

    def __call__(self, timestamp: datetime.datetime) -> bool:
        local = school_time(timestamp)
        return self._on_the_day(local) and (local.hour, local.minute) == (self.hour, self.minute)

    def catch_up(self, *, hours: int) -> Callable[[datetime.datetime], bool]:
        """The same minute on each of the `hours` hours after (not the hour itself), on the same day."""

        def validate(timestamp: datetime.datetime) -> bool:
            local = school_time(timestamp)
            return (
                self._on_the_day(local)
                and local.minute == self.minute
                and self.hour < local.hour <= self.hour + hours
            )

        return validate
