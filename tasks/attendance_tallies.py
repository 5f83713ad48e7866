"""Attendance figures kept ready for the reports: the absence patterns worked out on the queue (for the
register's section when a register is submitted or a submitted mark corrected, and for the whole school
each night, when every pattern's window moves a day), and the nightly recount of the current term's tallies
(the repair of anything written around the services). Queued by attendance's domain events."""

from __future__ import annotations

from django.dispatch import receiver
from huey.contrib.djhuey import db_periodic_task, db_task

from modules.attendance.events import record_corrected, register_submitted
from modules.attendance.patterns import patterns_refresh
from modules.attendance.services import term_tallies_catch_up
from modules.core.clock import SchoolTime

# Just after midnight, school time (settings.TIME_ZONE): the day the patterns are judged on has moved.
NIGHTLY = SchoolTime(hour=0, minute=20)


@db_task(retries=3, retry_delay=30)
def record_patterns_for_register(register_id: int) -> int:
    return patterns_refresh(register_id=register_id)


@db_task(retries=3, retry_delay=30)
def record_patterns_for_mark(record_id: int) -> int:
    return patterns_refresh(record_id=record_id)


@db_periodic_task(NIGHTLY)
def catch_up_attendance_figures() -> int:
    """The current term's tallies recounted, then the whole school's patterns as of today."""
    term_tallies_catch_up()
    return patterns_refresh()


@receiver(register_submitted, dispatch_uid="tasks.attendance_tallies.on_register_submitted")
def on_register_submitted(sender, *, register_id: int, **kwargs) -> None:
    record_patterns_for_register(register_id)


@receiver(record_corrected, dispatch_uid="tasks.attendance_tallies.on_record_corrected")
def on_record_corrected(sender, *, record_id: int, **kwargs) -> None:
    record_patterns_for_mark(record_id)
