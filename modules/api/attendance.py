"""Attendance (scopes `attendance:read`, `attendance:write`): registers and their marks as the caller sees
them on the pages (a teacher the registers they take, families their children's marks once submitted), and
marking and submitting a register through the register page's own rules (attendance.services): the same
cut-off, the same reason for changing a submitted register, the same refusal of a row someone else changed
since the caller read it."""

# No `from __future__ import annotations` here: django-ninja reads the endpoints' annotations as types.

import datetime
from typing import Literal

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import BaseModel, ConfigDict

from modules.api.auth import Refused, TokenAuth, conflict
from modules.api.lists import PAGE, Day, Id, Moment, Pages, PathId, narrowed
from modules.api.scopes import ATTENDANCE_READ, ATTENDANCE_WRITE
from modules.attendance import services
from modules.attendance.models import MAX_LATE_MINUTES, AttendanceRecord, Register
from modules.core.concurrency import EditConflict

router = Router(tags=["attendance"])
READ = TokenAuth(ATTENDANCE_READ)
WRITE = TokenAuth(ATTENDANCE_WRITE)

MarkStatus = Literal["present", "absent", "late", "excused"]


class RegisterOut(Schema):
    id: int
    kind: str
    date: datetime.date
    section_id: int
    class_id: int | None = Field(None, alias="offering_id")
    period_id: int | None
    state: str
    started_at: datetime.datetime | None
    submitted_at: datetime.datetime | None


class RecordOut(BaseModel):
    # A plain pydantic model, not a ninja Schema: a day's marks are read as rows (`.values()`), and ninja's
    # Schema reads every field of every row through its Django-aware getter (most of a page's time).
    model_config = ConfigDict(from_attributes=True)

    id: int
    register_id: int
    student_id: int
    date: datetime.date
    status: str
    late_minutes: int | None
    reason: str
    note: str
    marked_at: datetime.datetime


class RegisterFilter(Schema):
    date: Day | None = None
    date_from: Day | None = None
    date_to: Day | None = None
    section: Id | None = None
    class_: Id | None = Field(None, alias="class")
    state: Literal["not_taken", "in_progress", "submitted"] | None = None


class RecordFilter(Schema):
    date: Day | None = None
    date_from: Day | None = None
    date_to: Day | None = None
    register_: Id | None = Field(None, alias="register")
    student: Id | None = None
    status: MarkStatus | None = None
    changed_since: Moment | None = None


class MarkValue(Schema):
    status: MarkStatus
    late_minutes: int | None = Field(None, ge=0, le=MAX_LATE_MINUTES)
    reason: str = Field("", max_length=200)
    note: str = Field("", max_length=300)


class MarkIn(MarkValue):
    change_reason: str = Field(
        "", max_length=200, description="Needed to change a submitted register after the teachers' cut-off."
    )
    base: MarkValue | None = Field(
        None,
        description=(
            "The mark as the caller last read it (a student never marked reads as present). Given, a mark "
            "someone else changed since is not overwritten: 409 with the stored mark."
        ),
    )


class ConflictOut(Schema):
    code: str
    message: str
    current: RecordOut | None


class SubmittedOut(RegisterOut):
    saved_present: int = Field(..., description="How many students not marked yet were saved present")


@router.get("/registers", response=list[RegisterOut], auth=READ, summary="Registers")
@paginate(Pages, **PAGE)
def registers(request, filters: Query[RegisterFilter]):
    return narrowed(
        Register.objects.visible_to(request.auth.user),
        date=filters.date,
        date__gte=filters.date_from,
        date__lte=filters.date_to,
        section_id=filters.section,
        offering_id=filters.class_,
        state=filters.state,
    )


@router.get("/registers/{register_id}", response=RegisterOut, auth=READ, summary="A register")
def register(request, register_id: PathId):
    return get_object_or_404(Register.objects.visible_to(request.auth.user), pk=register_id)


@router.get("/attendance-records", response=list[RecordOut], auth=READ, summary="Attendance marks")
@paginate(Pages, **PAGE)
def records(request, filters: Query[RecordFilter]):
    return narrowed(
        AttendanceRecord.objects.visible_to(request.auth.user).order_by().values(*RecordOut.model_fields),
        date=filters.date,
        date__gte=filters.date_from,
        date__lte=filters.date_to,
        register_id=filters.register_,
        student_id=filters.student,
        status=filters.status,
        marked_at__gte=filters.changed_since,
    )


@router.put(
    "/registers/{register_id}/marks/{student_id}",
    response={200: RecordOut, 409: ConflictOut},
    auth=WRITE,
    summary="Mark a student on a register",
    url_name="register_mark",
)
def mark(request, register_id: PathId, student_id: PathId, payload: MarkIn):
    user = request.auth.user
    register = get_object_or_404(
        Register.objects.visible_to(user).select_related("section", "offering"), pk=register_id
    )
    try:
        return services.record_mark(
            register=register,
            student_id=student_id,
            status=payload.status,
            by=user,
            late_minutes=payload.late_minutes,
            reason=payload.reason,
            note=payload.note,
            change_reason=payload.change_reason,
            base=payload.base.dict() if payload.base is not None else None,
        )
    except services.AttendanceError as refusal:
        raise Refused(422, "refused", refusal.message) from None
    except EditConflict as clash:
        return conflict(clash.current)


@router.post(
    "/registers/{register_id}/submit", response=SubmittedOut, auth=WRITE, summary="Submit a register"
)
def submit(request, register_id: PathId):
    """Students not marked yet are saved present, as on the register page."""
    user = request.auth.user
    register = get_object_or_404(Register.objects.visible_to(user), pk=register_id)
    try:
        saved = services.register_submit(register=register, by=user)
    except services.AttendanceError as refusal:
        raise Refused(422, "refused", refusal.message) from None
    submitted = Register.objects.get(pk=register.pk)
    submitted.saved_present = saved
    return submitted
