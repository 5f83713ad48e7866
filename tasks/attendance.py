"""Attendance on the queue: telling guardians about absences once a register is submitted, and corrections.

Queued by attendance's domain events (modules/attendance/events.py), which attendance sends after commit
without knowing tasks/ exists."""

from __future__ import annotations

from django.dispatch import receiver
from huey.contrib.djhuey import db_task

from modules.attendance.events import record_corrected, register_submitted
from modules.attendance.notices import absence_correction_notify, absences_notify


@db_task(retries=3, retry_delay=30)
def send_absence_notices(register_id: int) -> None:
    absences_notify(register_id=register_id)


@db_task(retries=3, retry_delay=30)
def send_absence_correction(record_id: int) -> None:
    absence_correction_notify(record_id=record_id)


@receiver(register_submitted, dispatch_uid="tasks.attendance.on_register_submitted")
def on_register_submitted(sender, *, register_id: int, **kwargs) -> None:
    send_absence_notices(register_id)


@receiver(record_corrected, dispatch_uid="tasks.attendance.on_record_corrected")
def on_record_corrected(sender, *, record_id: int, **kwargs) -> None:
    send_absence_correction(record_id)
