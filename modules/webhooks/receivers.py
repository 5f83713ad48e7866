"""What webhooks does when the modules below it announce something (their domain events, modules/core/
events.py): each event the school's endpoints subscribed to becomes one queued delivery per endpoint, posted
by the queue (tasks/webhooks.py). Connected when the app is ready (WebhooksConfig.ready).

Each receiver first asks which active endpoints subscribed (one query): a school without webhooks pays that
and nothing more. The payload is built here, from the rows the sender committed. Delivered twice, an event
queues nothing new: its event id comes from what happened (services.deliveries_create). A receiver that
fails (core.events logs it) is made up by the sweep of missed events (services.events_recover, every ten
minutes) for registers, marks and payments; an enrolment's failed fan-out is logged and not made up (its
rows carry a day, not a moment, to find it by)."""

from __future__ import annotations

from django.dispatch import receiver

from modules.academics.events import enrollment_ended, enrollments_created
from modules.attendance.events import register_submitted
from modules.exams.events import marks_published
from modules.fees.events import payment_recorded
from modules.webhooks import catalogue
from modules.webhooks.services import deliveries_create, subscribed_endpoint_ids


def _forward(event: str, built, endpoint_ids: list[int]) -> None:
    if built is None:
        return  # the record was deleted before the event was delivered: nothing to tell
    key, data = built
    deliveries_create(event=event, key=key, data=data, endpoint_ids=endpoint_ids)


@receiver(register_submitted, dispatch_uid="webhooks.on_register_submitted")
def on_register_submitted(sender, *, register_id: int, **kwargs) -> None:
    if endpoint_ids := subscribed_endpoint_ids(catalogue.REGISTER_SUBMITTED):
        _forward(catalogue.REGISTER_SUBMITTED, catalogue.register_submitted_data(register_id), endpoint_ids)


@receiver(marks_published, dispatch_uid="webhooks.on_marks_published")
def on_marks_published(sender, *, assessment_id: int, **kwargs) -> None:
    if endpoint_ids := subscribed_endpoint_ids(catalogue.MARKS_PUBLISHED):
        _forward(catalogue.MARKS_PUBLISHED, catalogue.marks_published_data(assessment_id), endpoint_ids)


@receiver(payment_recorded, dispatch_uid="webhooks.on_payment_recorded")
def on_payment_recorded(sender, *, payment_id: int, **kwargs) -> None:
    if endpoint_ids := subscribed_endpoint_ids(catalogue.PAYMENT_RECORDED):
        _forward(catalogue.PAYMENT_RECORDED, catalogue.payment_recorded_data(payment_id), endpoint_ids)


@receiver(enrollments_created, dispatch_uid="webhooks.on_enrollments_created")
def on_enrollments_created(sender, *, enrollment_ids: list[int], **kwargs) -> None:
    if endpoint_ids := subscribed_endpoint_ids(catalogue.STUDENT_ENROLLED):
        for built in catalogue.students_enrolled_data(enrollment_ids):
            _forward(catalogue.STUDENT_ENROLLED, built, endpoint_ids)


@receiver(enrollment_ended, dispatch_uid="webhooks.on_enrollment_ended")
def on_enrollment_ended(sender, *, enrollment_id: int, **kwargs) -> None:
    if endpoint_ids := subscribed_endpoint_ids(catalogue.STUDENT_LEFT):
        _forward(catalogue.STUDENT_LEFT, catalogue.student_left_data(enrollment_id), endpoint_ids)
