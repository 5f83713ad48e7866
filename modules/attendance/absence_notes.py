"""Absence notes: a guardian explains an absence, a teacher of the child or the office accepts or rejects it.

Accepting turns the child's unexcused absences within the note's dates into excused ones (each change
audited as "attendance.excuse" with before and after); the guardian who sent the note is told the decision.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.accounts.models import Role, User
from modules.attendance.models import (
    AbsenceNote,
    AbsenceNoteStatus,
    AttendanceRecord,
    AttendanceStatus,
    RegisterMode,
)
from modules.attendance.notifications import ABSENCE_NOTE
from modules.attendance.services import (
    AUDITED_FIELDS,
    AttendanceError,
    registers_lock,
    tallies_after_records_changed,
)
from modules.communications.services import notify, recipients_for_users, users_with_profiles
from modules.core.audit import audit_log, snapshot
from modules.core.uploads import SIGNATURES
from modules.people.models import Student

# How far back and ahead a note may reach (a note is about a recent or an announced absence).
MAX_DAYS = 60
MAX_DAYS_AHEAD = 60


def notes_decidable_by(user) -> QuerySet[AbsenceNote]:
    """Notes this login may accept or reject: the office all; a teacher those of students in sections they
    lead or teach."""
    if not user.is_authenticated:
        return AbsenceNote.objects.none()
    roles = user.roles
    if Role.ADMINISTRATOR in roles:
        return AbsenceNote.objects.all()
    if Role.TEACHER not in roles:
        return AbsenceNote.objects.none()
    students = Student.objects.filter(
        Q(enrollments__section__offerings__teacher__user=user)
        | Q(enrollments__section__homeroom_teacher__user=user)
    ).values("pk")
    return AbsenceNote.objects.filter(student__in=students)


def notes_visible_to(user) -> QuerySet[AbsenceNote]:
    """Notes this login may read (and whose file it may download): deciders, and the child's guardians."""
    if not user.is_authenticated:
        return AbsenceNote.objects.none()
    mine = Q(pk__in=notes_decidable_by(user).values("pk"))
    if Role.GUARDIAN in user.roles:
        mine |= Q(student__guardian_links__guardian__user=user)
    return AbsenceNote.objects.filter(pk__in=AbsenceNote.objects.filter(mine).values("pk"))


def can_decide(user) -> bool:
    return user.is_authenticated and (Role.ADMINISTRATOR in user.roles or Role.TEACHER in user.roles)


def note_content_type(note: AbsenceNote) -> str:
    extension = Path(note.file_name or note.file.name).suffix.lower().lstrip(".")
    return SIGNATURES.get(extension, ("application/octet-stream", ()))[0]


def note_dates_refusal(date_from: datetime.date, date_to: datetime.date, today: datetime.date) -> str:
    """Why these dates cannot be a note ("" when they can)."""
    if date_to < date_from:
        return _("The last day cannot be before the first day.")
    if (date_to - date_from).days >= MAX_DAYS:
        return _("A note can cover at most %(days)s days. Send one note per absence.") % {"days": MAX_DAYS}
    if date_from > today + datetime.timedelta(days=MAX_DAYS_AHEAD):
        return _("A note can announce an absence at most %(days)s days ahead.") % {"days": MAX_DAYS_AHEAD}
    return ""


@transaction.atomic
def absence_note_create(
    *,
    student: Student,
    by: User,
    date_from: datetime.date,
    date_to: datetime.date,
    reason: str,
    upload: UploadedFile | None = None,
) -> AbsenceNote:
    """Store a guardian's note (the file, already validated, under a random private name)."""
    refusal = note_dates_refusal(date_from, date_to, timezone.localdate())
    if refusal:
        raise AttendanceError(refusal)
    note = AbsenceNote(
        student=student, submitted_by=by, date_from=date_from, date_to=date_to, reason=reason.strip()
    )
    if upload is not None:
        note.file_name = Path(upload.name).name[:255]
        note.file.save(note.file_name, upload, save=False)
    note.save()
    audit_log(
        actor=by,
        action="attendance.note.create",
        obj=note,
        after={"date_from": date_from, "date_to": date_to, "file": bool(upload)},
    )
    return note


def absences_covered(note: AbsenceNote) -> QuerySet[AttendanceRecord]:
    """The child's unexcused absences within the note's dates (what accepting it would excuse)."""
    return AttendanceRecord.objects.filter(
        student_id=note.student_id,
        status=AttendanceStatus.ABSENT,
        date__range=(note.date_from, note.date_to),
    )


@transaction.atomic
def absence_note_decide(*, note: AbsenceNote, by: User, accept: bool, decision_note: str = "") -> int:
    """Accept (absences become excused, each audited) or reject (nothing but the note changes) a pending
    note, and tell the guardian who sent it. A note already decided is refused. Returns how many absences
    were excused."""
    note = AbsenceNote.objects.select_for_update(of=("self",)).select_related("student").get(pk=note.pk)
    if note.status != AbsenceNoteStatus.PENDING:
        raise AttendanceError(
            _("This note was already answered (%(status)s). Nothing was changed.")
            % {"status": note.get_status_display().lower()}
        )
    excused = 0
    if accept:
        reason = note.reason.strip().replace("\n", " ")[:200]
        # The registers' locks before the records' (the order record_mark takes them in): their tallies.
        registers = registers_lock(absences_covered(note).values_list("register_id", flat=True))
        records = list(absences_covered(note).select_for_update())
        now = timezone.now()
        for record in records:
            before = snapshot(record, AUDITED_FIELDS)
            record.status = AttendanceStatus.EXCUSED
            record.late_minutes = None
            record.reason = reason
            record.marked_by = by
            record.marked_at = now
            audit_log(
                actor=by,
                action="attendance.excuse",
                obj=record,
                before=before,
                after=snapshot(record, AUDITED_FIELDS),
                reason=_("Absence note #%(pk)s accepted") % {"pk": note.pk},
            )
        AttendanceRecord.objects.bulk_update(
            records, ["status", "late_minutes", "reason", "marked_by", "marked_at"]
        )
        tallies_after_records_changed(
            register_ids=registers,
            student_days={
                (record.student_id, record.date, kind) for record in records for kind in RegisterMode
            },
        )
        excused = len(records)
    note.status = AbsenceNoteStatus.ACCEPTED if accept else AbsenceNoteStatus.REJECTED
    note.decided_by = by
    note.decided_at = timezone.now()
    note.decision_note = decision_note.strip()[:300]
    note.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_log(
        actor=by,
        action="attendance.note.accept" if accept else "attendance.note.reject",
        obj=note,
        before={"status": AbsenceNoteStatus.PENDING},
        after={"status": note.status, "excused": excused, "decision_note": note.decision_note},
    )
    if note.submitted_by_id:
        notify(
            recipients_for_users(users_with_profiles().filter(pk=note.submitted_by_id, is_active=True)),
            ABSENCE_NOTE,
            {
                "note": note,
                "student": note.student,
                "accepted": accept,
                "decision_note": note.decision_note,
            },
            obj=note,
            url=reverse("attendance:note_detail", kwargs={"pk": note.pk}),
        )
    return excused
