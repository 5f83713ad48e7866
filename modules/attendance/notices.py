"""Telling guardians about unexcused absences once a register is submitted, and correcting a wrong notice.

Timing (the "within five minutes" promise): `register_submit` enqueues `tasks.attendance.
send_absence_notices` with `transaction.on_commit`, so the task is on the queue the moment the
submission is saved and a worker picks it up within seconds; `notify()` then queues each email/SMS on
commit as well. Nothing here waits for a schedule. Failures are retried by the task (3 times, 30 s apart)
and by the delivery queue, and every step is idempotent, so running a task twice tells nobody twice:

- the absence notice's event is the record (`absence:attendance.attendancerecord:<pk>`), and
  `absence_notified_at` marks the records already told about;
- the correction's event is `absence:correction:<record pk>`, sent once, and only when a notice went out.

Only submission notifies: marks toggled while the register is being taken send nothing. An absence that
turns excused after the notice sends nothing (the family usually asked for it).
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from modules.accounts.models import User
from modules.attendance.models import (
    AttendancePolicy,
    AttendanceRecord,
    AttendanceStatus,
    Register,
    RegisterMode,
    RegisterState,
)
from modules.attendance.notifications import ABSENCE, REGISTER_REMINDER
from modules.attendance.services import AttendanceError, lesson_register_takers, registers_expected
from modules.communications.models import Channel
from modules.communications.services import (
    notify,
    recipients_for_guardians,
    recipients_for_users,
    users_with_profiles,
)
from modules.core.audit import audit_log
from modules.core.fanout import FANOUT_BATCH, fanouts_rerun, overdue_window
from modules.core.models import AuditEvent
from modules.people.models import Staff
from modules.people.selectors import notified_guardians_by_student


def register_period_label(register: Register):
    """The lesson a lesson register is for, e.g. "Mathematics, Period 2" (translated when each message is
    rendered, in its reader's language); "" for a daily register."""
    if register.kind != RegisterMode.LESSON or not register.offering_id:
        return ""
    return format_lazy(
        gettext_lazy("{subject}, {period}"),
        subject=register.offering.subject.name,
        period=register.period.name if register.period_id else "",
    )


def family_url(record: AttendanceRecord) -> str:
    return reverse("attendance:family_child", kwargs={"pk": record.student_id}) + (
        f"?month={record.date:%Y-%m}"
    )


def _records(**filters):
    return AttendanceRecord.objects.filter(**filters).select_related(
        "student", "register__offering__subject", "register__period"
    )


@transaction.atomic
def absences_notify(*, register_id: int) -> int:
    """Tell the guardians of each student absent without excuse on a submitted register (once per record),
    and send the corrections owed for records changed since the last run.

    One notify() call per absent student (the message names the child), one query for all their guardians.
    `Register.notified_at` is set to when this run started, even when nobody had to be told (no absence, or
    the school does not tell guardians): it is the mark that this register owes nothing, read by
    `registers_notices_recover`. Every record changed after it is looked at again on the next run, so a
    correction whose own task was lost is sent by whichever run comes next. Returns how many students'
    guardians were told of an absence.
    """
    started = timezone.now()
    register = (
        Register.objects.select_for_update(of=("self",))
        .select_related("offering__subject", "period")
        .filter(pk=register_id)
        .first()
    )
    if register is None or register.state != RegisterState.SUBMITTED:
        return 0
    if register.notified_at is not None:
        for record in _records(register=register, marked_at__gt=register.notified_at).exclude(
            status=AttendanceStatus.ABSENT
        ):
            record.register = register
            _correction_send(record)
    told = _absences_tell(register) if AttendancePolicy.load().notify_absences else 0
    Register.objects.filter(pk=register.pk).update(notified_at=started)
    return told


def _absences_tell(register: Register) -> int:
    records = list(
        _records(register=register, status=AttendanceStatus.ABSENT, absence_notified_at__isnull=True)
    )
    if not records:
        return 0
    guardians = notified_guardians_by_student([record.student_id for record in records])
    period = register_period_label(register)
    told = []
    for record in records:
        people = recipients_for_guardians(guardians.get(record.student_id, []))
        if not people:
            continue
        notify(
            people,
            ABSENCE,
            {"student": record.student, "date": register.date, "period": period},
            obj=record,
            url=family_url(record),
        )
        told.append(record.pk)
    if told:
        AttendanceRecord.objects.filter(pk__in=told).update(absence_notified_at=timezone.now())
    return len(told)


@transaction.atomic
def absence_correction_notify(*, record_id: int) -> bool:
    """A record changed after its register was submitted.

    - now present or late, and its guardians were told it was an absence: a short correction, once;
    - now absent and nobody was told yet (marked absent after submission): the usual absence notice;
    - excused, or never notified: nothing.
    Returns whether anything was sent.
    """
    record = _records(pk=record_id).select_related("register").first()
    if record is None or record.register.state != RegisterState.SUBMITTED:
        return False
    if record.status == AttendanceStatus.ABSENT:
        if record.absence_notified_at is None:
            return absences_notify(register_id=record.register_id) > 0
        return False
    return _correction_send(record)


def _correction_send(record: AttendanceRecord) -> bool:
    if record.status == AttendanceStatus.EXCUSED or record.absence_notified_at is None:
        return False
    # A correction goes out even if the school has since stopped absence notices: it fixes a message sent.
    people = recipients_for_guardians(
        notified_guardians_by_student([record.student_id]).get(record.student_id, [])
    )
    if not people:
        return False
    result = notify(
        people,
        ABSENCE,
        {
            "student": record.student,
            "date": record.date,
            "period": register_period_label(record.register),
            "correction": True,
        },
        event=f"correction:attendance.attendancerecord:{record.pk}",
        url=family_url(record),
    )
    return bool(result.notifications or result.deliveries)


# Recovery of lost notice tasks (modules/core/fanout.py): run by tasks/recovery.py every minute.

# A change to a register older than this many days (by its date) is not looked for: the index on
# (date, state) keeps the sweep from reading the whole year's registers every minute.
RECOVER_REGISTER_DAYS = 31


def registers_notices_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Submitted registers whose notice task should have run by now and did not: submitted (or submitted
    again) after their last notice run, or with a record changed after it, within the overdue window."""
    window = overdue_window(now)
    changed_since_notices = AttendanceRecord.objects.filter(
        register=OuterRef("pk"), marked_at__gt=OuterRef("notified_at"), marked_at__range=window.as_range()
    )
    submitted_since_notices = Q(submitted_at__range=window.as_range()) & (
        Q(notified_at__isnull=True) | Q(notified_at__lt=F("submitted_at"))
    )
    oldest_day = timezone.localtime(window.since).date() - datetime.timedelta(days=RECOVER_REGISTER_DAYS)
    return list(
        Register.objects.filter(state=RegisterState.SUBMITTED, date__gte=oldest_day)
        .filter(submitted_since_notices | Exists(changed_since_notices))
        .order_by("submitted_at", "pk")
        .values_list("pk", flat=True)[:FANOUT_BATCH]
    )


def registers_notices_recover(*, now: datetime.datetime | None = None) -> int:
    """Run the absence notices (and corrections) again for registers whose task was lost. Returns how many
    registers were run again."""
    return fanouts_rerun(
        registers_notices_due(now=now), lambda pk: absences_notify(register_id=pk), what="absence notice"
    )


# The office's live view of today's registers, and the nudge to a teacher who has not taken one.

NUDGE_ACTION = "attendance.nudge"


def register_teacher(register: Register, takers: dict | None = None) -> tuple[Staff | None, bool]:
    """Who takes this register, or None, and whether they cover its lesson: the homeroom teacher of a daily
    register; for a lesson, its teacher that day in the timetable (the covering teacher when it is covered;
    `takers` from `lesson_register_takers` when the caller has looked them up for many registers)."""
    if register.kind == RegisterMode.LESSON:
        if takers is None:
            takers = lesson_register_takers([register])
        return takers.get(register.pk, (None, False))
    return register.section.homeroom_teacher, False


def register_label(register: Register) -> str:
    if register.kind == RegisterMode.LESSON and register.offering_id:
        period = f", {register.period.name}" if register.period_id else ""
        return f"{register.offering.subject.name} · {register.section.name}{period}"
    return register.section.name


@dataclass(frozen=True)
class BoardRow:
    register: Register
    teacher: Staff | None
    nudged_at: datetime.datetime | None
    covering: bool = False  # the teacher covers the lesson for its absent teacher

    @property
    def label(self) -> str:
        return register_label(self.register)


@dataclass(frozen=True)
class Board:
    day: datetime.date
    rows: list[BoardRow]  # registers not yet submitted
    total: int
    submitted: int
    in_progress: int
    not_started: int

    @property
    def outstanding(self) -> int:
        return self.total - self.submitted


def office_board(*, day: datetime.date, policy: AttendancePolicy) -> Board:
    """Today's expected registers for the whole school (created if missing), those not yet submitted listed
    with their teacher and whether the office nudged them. A fixed number of queries, whatever the school's
    size."""
    registers = registers_expected(day=day, policy=policy)
    states = Counter(register.state for register in registers)
    waiting = [register.pk for register in registers if register.state != RegisterState.SUBMITTED]
    outstanding = list(
        Register.objects.filter(pk__in=waiting)
        .select_related(
            "section__grade_level",
            "section__homeroom_teacher",
            "offering__subject",
            "offering__teacher",
            "period",
        )
        .order_by("period__order", "section__grade_level__order", "section__name", "offering__subject__name")
    )
    nudges = dict(
        AuditEvent.objects.filter(
            action=NUDGE_ACTION,
            object_type=Register._meta.label_lower,
            object_id__in=[str(pk) for pk in waiting],
        )
        .order_by("at")
        .values_list("object_id", "at")
    )
    takers = lesson_register_takers(outstanding)
    rows = []
    for register in outstanding:
        teacher, covering = register_teacher(register, takers)
        rows.append(
            BoardRow(
                register=register, teacher=teacher, nudged_at=nudges.get(str(register.pk)), covering=covering
            )
        )
    return Board(
        day=day,
        rows=rows,
        total=len(registers),
        submitted=states[RegisterState.SUBMITTED],
        in_progress=states[RegisterState.IN_PROGRESS],
        not_started=states[RegisterState.NOT_TAKEN],
    )


@transaction.atomic
def register_nudge(*, register: Register, by: User) -> tuple[datetime.datetime, bool]:
    """Remind a register's teacher to take it (in-app and email, per their preferences), once per register
    (a register is one day's). Returns when the nudge was sent and whether it was sent now (False: it had
    been already, nothing was sent again)."""
    register = (
        Register.objects.select_for_update(of=("self",))
        .select_related("section__homeroom_teacher", "offering__subject", "offering__teacher", "period")
        .get(pk=register.pk)
    )
    if register.state == RegisterState.SUBMITTED:
        raise AttendanceError(_("This register has been submitted already; there is nothing to remind."))
    if register.date > timezone.localdate():
        raise AttendanceError(_("This register is for a day that has not come yet."))
    earlier = AuditEvent.objects.filter(
        action=NUDGE_ACTION, object_type=Register._meta.label_lower, object_id=str(register.pk)
    ).first()
    if earlier is not None:
        return earlier.at, False
    teacher, _covering = register_teacher(register)
    if teacher is None or not teacher.is_active:
        raise AttendanceError(_("No teacher is assigned to this register. Assign one, or take it yourself."))
    notify(
        recipients_for_users(users_with_profiles().filter(pk=teacher.user_id, is_active=True)),
        REGISTER_REMINDER,
        {
            "register_name": register_label(register),
            "date": register.date,
            "nudged_by": by.get_full_name() or by.email,
        },
        obj=register,
        url=reverse("home"),
        channels={Channel.IN_APP, Channel.EMAIL},
    )
    event = audit_log(actor=by, action=NUDGE_ACTION, obj=register, after={"teacher": teacher.user_id})
    return event.at, True
