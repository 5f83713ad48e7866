"""The events an endpoint may subscribe to: their public names, what each means, and the data each sends.

Every delivery's body is one JSON object, the same envelope for every event:

    {"id": "<event id, a UUID>", "type": "payment.recorded", "created_at": "<ISO 8601, UTC>", "data": {...}}

`data` names records by id plus the few fields a receiver needs to act without asking back (dates, counts,
amounts as decimal strings); never a person's name, address or marks: a receiver that needs more reads it
through the API with its own token, scoped like the pages. The builders read what was committed when the
domain event was delivered (they run in webhooks' receivers, after the sender's commit).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Count
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from modules.academics.models import Enrollment
from modules.attendance.models import AttendanceRecord, AttendanceStatus, Register
from modules.core.models import SchoolProfile
from modules.exams.models import Assessment
from modules.fees.models import Payment

REGISTER_SUBMITTED = "register.submitted"
MARKS_PUBLISHED = "marks.published"
PAYMENT_RECORDED = "payment.recorded"
STUDENT_ENROLLED = "student.enrolled"
STUDENT_LEFT = "student.left"
PING = "ping"

# Enrolments per student.enrolled delivery: an import of a thousand students is ten deliveries, each small.
ENROLMENTS_PER_EVENT = 100


@dataclass(frozen=True)
class EventType:
    name: str
    label: Promise
    when: Promise
    example: dict[str, Any]


EVENT_TYPES: dict[str, EventType] = {
    event.name: event
    for event in [
        EventType(
            REGISTER_SUBMITTED,
            _("Register submitted"),
            _("A teacher or the office submitted a register (the first time, or again after a change)."),
            {
                "register": {
                    "id": 812,
                    "kind": "daily",
                    "date": "2026-03-02",
                    "section": {"id": 4, "name": "7A"},
                    "class": None,
                    "period": None,
                    "submitted_at": "2026-03-02T08:04:31Z",
                },
                "counts": {"present": 26, "late": 1, "absent": 2, "excused": 0},
            },
        ),
        EventType(
            MARKS_PUBLISHED,
            _("Marks published"),
            _("An assessment's marks became visible to students and their families (the first time only)."),
            {
                "assessment": {
                    "id": 97,
                    "name": "Fractions quiz",
                    "kind": "quiz",
                    "date": "2026-03-02",
                    "max_score": "20.00",
                    "term": 3,
                    "class": 41,
                    "subject": {"id": 2, "name": "Mathematics"},
                    "section": {"id": 4, "name": "7A"},
                    "published_at": "2026-03-04T15:10:00Z",
                },
                "marks": 29,
            },
        ),
        EventType(
            PAYMENT_RECORDED,
            _("Payment recorded"),
            _("A payment was recorded at the office or paid online by card."),
            {
                "payment": {
                    "id": 1530,
                    "receipt_number": "RCT-2025-00412",
                    "student": 311,
                    "amount": "150.00",
                    "currency": "USD",
                    "method": "card",
                    "received_on": "2026-03-02",
                    "allocations": [{"invoice": 2211, "number": "INV-2025-01187", "amount": "150.00"}],
                    "unallocated": "0.00",
                }
            },
        ),
        EventType(
            STUDENT_ENROLLED,
            _("Student enrolled"),
            _(
                "Students were put in a section for a year (up to 100 enrolments a delivery; a move "
                "within the year is not an enrolment)."
            ),
            {
                "enrolments": [
                    {"id": 5120, "student": 311, "section": 4, "year": 2, "enrolled_on": "2026-03-02"},
                ]
            },
        ),
        EventType(
            STUDENT_LEFT,
            _("Student left"),
            _("A student's enrolment ended: withdrawn or transferred."),
            {
                "enrolment": {
                    "id": 5120,
                    "student": 311,
                    "section": 4,
                    "year": 2,
                    "status": "withdrawn",
                    "ended_on": "2026-03-20",
                }
            },
        ),
    ]
}

PING_EXAMPLE = {"message": "A test event from StudentFlow: the endpoint is reachable and checks signatures."}


def event_choices() -> list[tuple[str, str]]:
    return [(event.name, f"{event.label} ({event.name})") for event in EVENT_TYPES.values()]


def event_label(name: str) -> str:
    event = EVENT_TYPES.get(name)
    return str(event.label) if event is not None else name


def _moment(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _section(section) -> dict[str, Any]:
    return {"id": section.pk, "name": section.name}


# What happened, in words that are the same each time it is told (services.deliveries_create derives the event
# id from them): a register's submission (a register submitted again is a new event), an assessment's
# publication, a payment.


def register_submitted_key(register_id: int, submitted_at: datetime.datetime | None) -> str:
    return f"{REGISTER_SUBMITTED}:{register_id}:{_moment(submitted_at)}"


def marks_published_key(assessment_id: int, published_at: datetime.datetime | None) -> str:
    return f"{MARKS_PUBLISHED}:{assessment_id}:{_moment(published_at)}"


def payment_recorded_key(payment_id: int, created_at: datetime.datetime | None = None) -> str:
    return f"{PAYMENT_RECORDED}:{payment_id}"


def register_submitted_data(register_id: int) -> tuple[str, dict[str, Any]] | None:
    """The event's key (the same for the same submission) and its data; None if the register is gone."""
    register = Register.objects.select_related("section").filter(pk=register_id).first()
    if register is None:
        return None
    counts = dict.fromkeys(AttendanceStatus.values, 0)
    by_status = (
        AttendanceRecord.objects.filter(register_id=register_id)
        .values_list("status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts.update(dict(by_status))
    data = {
        "register": {
            "id": register.pk,
            "kind": register.kind,
            "date": register.date.isoformat(),
            "section": _section(register.section),
            "class": register.offering_id,
            "period": register.period_id,
            "submitted_at": _moment(register.submitted_at),
        },
        "counts": counts,
    }
    return register_submitted_key(register.pk, register.submitted_at), data


def marks_published_data(assessment_id: int) -> tuple[str, dict[str, Any]] | None:
    assessment = (
        Assessment.objects.select_related("offering__subject", "offering__section")
        .annotate(mark_count=Count("marks"))
        .filter(pk=assessment_id)
        .first()
    )
    if assessment is None:
        return None
    offering = assessment.offering
    data = {
        "assessment": {
            "id": assessment.pk,
            "name": assessment.name,
            "kind": assessment.kind,
            "date": assessment.date.isoformat(),
            "max_score": str(assessment.max_score),
            "term": assessment.term_id,
            "class": offering.pk,
            "subject": {"id": offering.subject_id, "name": offering.subject.name},
            "section": _section(offering.section),
            "published_at": _moment(assessment.published_at),
        },
        "marks": assessment.mark_count,
    }
    return marks_published_key(assessment.pk, assessment.published_at), data


def payment_recorded_data(payment_id: int) -> tuple[str, dict[str, Any]] | None:
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        return None
    allocations = payment.allocations.select_related("invoice").order_by("pk")
    data = {
        "payment": {
            "id": payment.pk,
            "receipt_number": payment.receipt_number,
            "student": payment.student_id,
            "amount": str(payment.amount),
            "currency": SchoolProfile.load().currency,
            "method": payment.method,
            "received_on": payment.received_on.isoformat(),
            "allocations": [
                {"invoice": a.invoice_id, "number": a.invoice.number, "amount": str(a.amount)}
                for a in allocations
            ],
            "unallocated": str(payment.unallocated),
        }
    }
    return payment_recorded_key(payment.pk, payment.created_at), data


def students_enrolled_data(enrollment_ids: list[int]) -> list[tuple[str, dict[str, Any]]]:
    """One (key, data) per ENROLMENTS_PER_EVENT enrolments, in id order."""
    rows = list(
        Enrollment.objects.filter(pk__in=enrollment_ids)
        .order_by("pk")
        .values("pk", "student_id", "section_id", "year_id", "enrolled_on")
    )
    events = []
    for start in range(0, len(rows), ENROLMENTS_PER_EVENT):
        chunk = rows[start : start + ENROLMENTS_PER_EVENT]
        enrolments = [
            {
                "id": row["pk"],
                "student": row["student_id"],
                "section": row["section_id"],
                "year": row["year_id"],
                "enrolled_on": row["enrolled_on"].isoformat(),
            }
            for row in chunk
        ]
        key = f"{STUDENT_ENROLLED}:" + ",".join(str(row["pk"]) for row in chunk)
        events.append((key, {"enrolments": enrolments}))
    return events


def student_left_data(enrollment_id: int) -> tuple[str, dict[str, Any]] | None:
    enrollment = Enrollment.objects.filter(pk=enrollment_id).first()
    if enrollment is None:
        return None
    ended_on = enrollment.ended_on.isoformat() if enrollment.ended_on else None
    data = {
        "enrolment": {
            "id": enrollment.pk,
            "student": enrollment.student_id,
            "section": enrollment.section_id,
            "year": enrollment.year_id,
            "status": enrollment.status,
            "ended_on": ended_on,
        }
    }
    return f"{STUDENT_LEFT}:{enrollment.pk}:{enrollment.status}:{ended_on}", data


@dataclass(frozen=True)
class Recoverable:
    """An event whose row says when it happened, so that a fan-out that failed can be found and made up
    (services.events_recover). Enrolments are not: their rows carry a day, not a moment, and one event
    named many of them."""

    rows: Callable[[], models.QuerySet]
    stamp: str  # the row's field holding the moment the event happened
    key: Callable[[int, datetime.datetime], str]
    build: Callable[[int], tuple[str, dict[str, Any]] | None]


RECOVERABLE: dict[str, Recoverable] = {
    REGISTER_SUBMITTED: Recoverable(
        lambda: Register.objects.all(), "submitted_at", register_submitted_key, register_submitted_data
    ),
    MARKS_PUBLISHED: Recoverable(
        lambda: Assessment.objects.all(), "published_at", marks_published_key, marks_published_data
    ),
    PAYMENT_RECORDED: Recoverable(
        lambda: Payment.objects.all(), "created_at", payment_recorded_key, payment_recorded_data
    ),
}
