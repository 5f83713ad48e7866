"""Notification fan-outs whose task was lost: the one rule for when to run them again.

A fan-out (absence notices after a register is submitted, "marks published" notices, an invitation email)
is a thin Huey task queued on commit. Huey does not acknowledge tasks: a worker killed mid-task, or before
it started, loses the task; the service's transaction rolls back, so the database still says what is owed
(a register submitted and not notified, an assessment published and not notified...). Each owning module
writes a `*_recover` function that finds what is still owed inside `overdue_window()` and runs its service
again (each service is safe to run twice: it tells nobody twice); tasks/recovery.py calls them every minute.

The window:
- `until`: a fan-out triggered less than STUDENTFLOW_JOB_LEASE_SECONDS ago may still be on the queue or
  running; leave it to its own task.
- `since`: only a bounded look-back (STUDENTFLOW_FANOUT_LOOKBACK_HOURS, 48 by default). The first sweep
  after an upgrade, or after the queue was down for a week, must not send families stale notices about
  last month's absences; past it, the office can still resend by hand.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

# At most this many fan-outs of one kind are run again per sweep (the sweep runs every minute).
FANOUT_BATCH = 50


@dataclass(frozen=True)
class OverdueWindow:
    since: datetime.datetime  # triggered before this: too old to tell anyone now
    until: datetime.datetime  # triggered after this: its own task may still be running

    def as_range(self) -> tuple[datetime.datetime, datetime.datetime]:
        return (self.since, self.until)


def overdue_window(now: datetime.datetime | None = None) -> OverdueWindow:
    now = now or timezone.now()
    lease = datetime.timedelta(seconds=settings.STUDENTFLOW_JOB_LEASE_SECONDS)
    lookback = datetime.timedelta(hours=settings.STUDENTFLOW_FANOUT_LOOKBACK_HOURS)
    return OverdueWindow(since=now - lookback, until=now - lease)


def fanouts_rerun(ids: Iterable, run: Callable[[Any], object], *, what: str) -> int:
    """Run `run(id)` for each id (or batch of ids); one that fails is logged and left owed for the next
    sweep, so a single bad row (a template error, a deleted guardian) cannot stop the others. Returns how
    many ran."""
    done = 0
    for pk in ids:
        try:
            run(pk)
        except Exception:
            logger.exception(
                "Running the lost %s fan-out for #%s again failed; the next sweep retries", what, pk
            )
            continue
        done += 1
    return done
