"""What academics announces about enrolments (see modules/core/events.py for how events work, and
docs/events.md for the list of every module's events).

Every place that writes an enrolment sends these, after its transaction commits: the section page and the
academics services, the student form (`academics.services.enrollment_set`), the student import
(`academics.importing`) and the Django admin (`academics.admin.EnrollmentAdmin`, through
`academics.services.enrollment_save`). A new way to enrol students must send them too.
"""

from __future__ import annotations

from modules.core.events import DomainEvent

enrollments_created = DomainEvent(
    "academics.enrollments_created",
    arguments={
        "enrollment_ids": "list of Enrollment ids: the enrolments that were written (one event for a whole "
        "section's ticked students or a whole import)",
        "by": "the User who enrolled them (the owner of an import)",
    },
    doc="""Students were put in a section for a year: enrolments created on the section page
    (`enrollments_create`), by the student form (`enrollment_set`), by an import, or added in the Django
    admin, and a withdrawn enrolment made active again in the admin. Moving a student to another section of
    the same year is not an enrolment and sends nothing. Receivers: fees bills late enrolments
    (modules/fees/receivers.py); webhooks posts `student.enrolled` (modules/webhooks/receivers.py).""",
)

enrollment_ended = DomainEvent(
    "academics.enrollment_ended",
    arguments={
        "enrollment_id": "id of the Enrollment that stopped being active",
        "status": "its new status (EnrollmentStatus: withdrawn or transferred)",
        "by": "the User who ended it",
    },
    doc="""A student's active enrolment ended: withdrawn from the section page (`enrollment_withdraw`) or
    its status changed in the Django admin. The student's login has already lost its student role (in the
    same transaction). Receivers: webhooks posts `student.left` to the endpoints subscribed
    (modules/webhooks/receivers.py); invoices already issued stay as they are.""",
)
