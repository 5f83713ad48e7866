"""Attendance on the queue: telling guardians about absences once a register is submitted, and corrections."""

from huey.contrib.djhuey import db_task


@db_task(retries=3, retry_delay=30)
def attendance_register_submitted(register_id: int) -> None:
    from modules.attendance.notices import absences_notify

    absences_notify(register_id=register_id)


@db_task(retries=3, retry_delay=30)
def attendance_record_changed(record_id: int) -> None:
    from modules.attendance.notices import absence_correction_notify

    absence_correction_notify(record_id=record_id)
