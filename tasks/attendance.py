"""Attendance on the queue: telling guardians about absences once a register is submitted, and corrections.

Queued by attendance's domain events (modules/attendance/events.py), which attendance sends after commit
without knowing tasks/ exists."""

from __future__ import annotations

from django.dispatch import receiver
from huey.contrib.djhuey import db_task

from modules.attendance.events import record_corrected, register_submitted
from modules.attendance.notices import absence_correction_notify, absences_notify


@db_task(retries=3, retry_delay=30)
def attendance_register_submitted(register_id: int) -> None:
    absences_notify(register_id=register_id)


@db_task(retries=3, retry_delay=30)
def attendance_record_changed(record_id: int) -> None:
    absence_correction_notify(record_id=record_id)


@receiver(register_submitted, dispatch_uid="tasks.attendance_register_submitted")
def queue_absence_notices(sender, *, register_id: int, **kwargs) -> None:
    attendance_register_submitted(register_id)


@receiver(record_corrected, dispatch_uid="tasks.attendance_record_changed")
def queue_absence_correction(sender, *, record_id: int, **kwargs) -> None:
    attendance_record_changed(record_id)
