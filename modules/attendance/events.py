"""What attendance announces about registers (see modules/core/events.py for how events work, and
docs/events.md for the list of every module's events)."""

from __future__ import annotations

from modules.core.events import DomainEvent

register_submitted = DomainEvent(
    "attendance.register_submitted",
    arguments={
        "register_id": "id of the Register that was submitted",
        "by": "the User who submitted it",
    },
    doc="""A register was submitted, the first time or again (`register_submit`): unmarked students were
    saved present, and the guardians of students absent without an excuse are owed a notice
    (`Register.notified_at` still empty). Receivers: tasks/attendance.py queues the absence notices
    (`notices.absences_notify`); webhooks posts `register.submitted` (modules/webhooks/receivers.py).""",
)

record_corrected = DomainEvent(
    "attendance.record_corrected",
    arguments={
        "record_id": "id of the AttendanceRecord that changed",
        "by": "the User who changed it",
    },
    doc="""A mark on a register already submitted was changed (`record_mark`, with the reason written in
    the audit log): guardians told of an absence may be owed a correction, or an absence marked after
    submission a notice. Receivers: tasks/attendance.py queues `notices.absence_correction_notify`.""",
)
