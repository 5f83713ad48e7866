"""The retention schedule: how long the school keeps each kind of data and what happens after.

- deliveries (communications' email and SMS log): sent or failed deliveries older than the period are
  deleted, or anonymised (address, name, subject and text emptied; the row stays for the counts);
- audit events older than the period are deleted, except the latest run of this schedule (the trail of what
  it removed; events of the last period are younger than the cut-off anyway);
- uploads older than the period: homework files, marked work's feedback files and absence-note documents are
  deleted from the storage (the submission, its mark and the note stay);
- leavers: students not active, none of whose enrolments is in a year that ended less than the period (in
  years) ago, are anonymised: name, contact, health notes, photo, login, free-text notes and guardian ties go;
  their attendance records, marks, invoices and payments stay with their numbers, so the school's figures do
  not change. A current student (active, or enrolled in a year not over) is never touched.

`retention_plan` is the dry run (the counts the page shows); `retention_apply` (the daily task
`apply_retention_schedule`) does it in batches of BATCH rows, at most MAX_BATCHES per kind a run (the next
day's run takes the rest), and records one audit event per run with the counts.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import Storage
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, QuerySet, Value
from django.db.models.functions import Cast, Concat, TruncYear
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from modules.academics.models import Enrollment
from modules.accounts.models import User
from modules.assignments.models import Submission, SubmissionFile
from modules.attendance.models import AbsenceNote, AttendanceRecord
from modules.communications.models import Delivery, DeliveryStatus
from modules.core.audit import audit_log
from modules.core.models import AuditEvent
from modules.fees.models import Payment
from modules.people.models import GuardianLink, Student
from modules.privacy.models import AnonymisedStudent, RetentionAction, RetentionKind, RetentionRule

BATCH = 500
MAX_BATCHES = 20
RUN_ACTION = "privacy.retention_run"
FINISHED_DELIVERIES = (DeliveryStatus.SENT, DeliveryStatus.FAILED)


def rules() -> list[RetentionRule]:
    """The school's rule for every kind (an unsaved default, not applied, for a kind never set)."""
    saved = {rule.kind: rule for rule in RetentionRule.objects.all()}
    return [saved.get(kind) or _default_rule(kind) for kind in RetentionKind]


# A kind never set starts from these (not applied until the office switches it on): a year for the delivery
# log and uploads, two for the audit trail, and leavers anonymised seven years after their last year ended.
DEFAULT_PERIODS = {
    RetentionKind.DELIVERIES: 365,
    RetentionKind.AUDIT_EVENTS: 730,
    RetentionKind.UPLOADS: 365,
    RetentionKind.LEAVERS: 7,
}


def _default_rule(kind: RetentionKind) -> RetentionRule:
    action = RetentionAction.ANONYMISE if kind == RetentionKind.LEAVERS else RetentionAction.DELETE
    return RetentionRule(kind=kind, action=action, period=DEFAULT_PERIODS[kind])


def cutoff(rule: RetentionRule, now: datetime.datetime) -> datetime.datetime:
    if rule.kind == RetentionKind.LEAVERS:
        today = timezone.localdate(now)
        try:
            day = today.replace(year=today.year - rule.period)
        except ValueError:  # 29 February
            day = today.replace(year=today.year - rule.period, day=28)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return now - datetime.timedelta(days=rule.period)


# ------------------------------------------------------------------------------------ what is due


def _deliveries(rule: RetentionRule, now: datetime.datetime) -> QuerySet:
    rows = Delivery.objects.filter(created_at__lt=cutoff(rule, now), status__in=FINISHED_DELIVERIES)
    if rule.action == RetentionAction.ANONYMISE:
        rows = rows.exclude(address="", recipient_name="", subject="", body_text="", body_html="")
    return rows


def _audit_events(rule: RetentionRule, now: datetime.datetime) -> QuerySet:
    rows = AuditEvent.objects.filter(at__lt=cutoff(rule, now))
    latest_run = AuditEvent.objects.filter(action=RUN_ACTION).order_by("-at", "-pk").values("pk")[:1]
    return rows.exclude(pk__in=latest_run)


def _submission_files(rule: RetentionRule, now: datetime.datetime) -> QuerySet:
    return SubmissionFile.objects.filter(uploaded_at__lt=cutoff(rule, now))


def _feedback_files(rule: RetentionRule, now: datetime.datetime) -> QuerySet:
    return Submission.objects.exclude(feedback_file="").filter(marked_at__lt=cutoff(rule, now))


def _note_documents(rule: RetentionRule, now: datetime.datetime) -> QuerySet:
    return AbsenceNote.objects.exclude(file="").filter(created_at__lt=cutoff(rule, now))


def leavers(rule: RetentionRule, now: datetime.datetime) -> QuerySet:
    """Students not active whose every enrolment is in a year that ended before the cut-off."""
    recent = Enrollment.objects.filter(student=OuterRef("pk"), year__end_date__gte=cutoff(rule, now).date())
    return (
        Student.objects.filter(is_active=False, enrollments__isnull=False)
        .exclude(Exists(recent))
        .exclude(pk__in=AnonymisedStudent.objects.values("student_id"))
        .distinct()
    )


def _count(rule: RetentionRule, now: datetime.datetime) -> int:
    if rule.kind == RetentionKind.DELIVERIES:
        return _deliveries(rule, now).count()
    if rule.kind == RetentionKind.AUDIT_EVENTS:
        return _audit_events(rule, now).count()
    if rule.kind == RetentionKind.UPLOADS:
        return (
            _submission_files(rule, now).count()
            + _feedback_files(rule, now).count()
            + _note_documents(rule, now).count()
        )
    return leavers(rule, now).count()


@dataclass(frozen=True)
class PlanRow:
    rule: RetentionRule
    count: int  # what applying the rule now would delete or anonymise


def retention_plan(*, now: datetime.datetime | None = None) -> list[PlanRow]:
    """The dry run: for every kind, how many rows (files, students) the rule would act on now."""
    now = now or timezone.now()
    return [PlanRow(rule=rule, count=_count(rule, now)) for rule in rules()]


# ------------------------------------------------------------------------------------------ acting


def _delete_files(pairs: list[tuple[Storage, str]]) -> None:
    """Delete the stored files once the rows that named them are committed without them."""
    kept = [(storage, name) for storage, name in pairs if name]

    def delete() -> None:
        for storage, name in kept:
            storage.delete(name)

    if kept:
        transaction.on_commit(delete)


def _deleted(query: QuerySet) -> int:
    """Delete the rows and say how many of the query's own model went (not what cascaded with them)."""
    return query.delete()[1].get(query.model._meta.label, 0)


def _batches(query: Callable[[], QuerySet], act: Callable[[list[int]], int]) -> int:
    done = 0
    for _round in range(MAX_BATCHES):
        ids = list(query().order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not ids:
            break
        with transaction.atomic():
            done += act(ids)
    return done


def _apply_deliveries(rule: RetentionRule, now: datetime.datetime) -> int:
    if rule.action == RetentionAction.ANONYMISE:
        blank = {"address": "", "recipient_name": "", "subject": "", "body_text": "", "body_html": ""}
        return _batches(
            lambda: _deliveries(rule, now), lambda ids: Delivery.objects.filter(pk__in=ids).update(**blank)
        )
    return _batches(lambda: _deliveries(rule, now), lambda ids: _deleted(Delivery.objects.filter(pk__in=ids)))


def _apply_audit_events(rule: RetentionRule, now: datetime.datetime) -> int:
    return _batches(
        lambda: _audit_events(rule, now), lambda ids: _deleted(AuditEvent.objects.filter(pk__in=ids))
    )


def _drop_submission_files(ids: list[int]) -> int:
    rows = list(SubmissionFile.objects.filter(pk__in=ids))
    _delete_files([(row.file.storage, row.file.name or "") for row in rows])
    SubmissionFile.objects.filter(pk__in=ids).delete()
    return len(rows)


def _drop_feedback_files(ids: list[int]) -> int:
    rows = list(Submission.objects.filter(pk__in=ids).only("pk", "feedback_file"))
    _delete_files([(row.feedback_file.storage, row.feedback_file.name or "") for row in rows])
    return Submission.objects.filter(pk__in=ids).update(feedback_file="", feedback_file_name="")


def _drop_note_documents(ids: list[int]) -> int:
    rows = list(AbsenceNote.objects.filter(pk__in=ids).only("pk", "file"))
    _delete_files([(row.file.storage, row.file.name or "") for row in rows])
    return AbsenceNote.objects.filter(pk__in=ids).update(file="", file_name="")


def _apply_uploads(rule: RetentionRule, now: datetime.datetime) -> int:
    return (
        _batches(lambda: _submission_files(rule, now), _drop_submission_files)
        + _batches(lambda: _feedback_files(rule, now), _drop_feedback_files)
        + _batches(lambda: _note_documents(rule, now), _drop_note_documents)
    )


def _anonymise_leavers(ids: list[int]) -> int:
    """Take what names a leaver off their rows, keeping every number the school's figures count."""
    students = list(Student.objects.filter(pk__in=ids).only("pk", "photo", "photo_thumb", "user_id"))
    files = [
        (field.storage, field.name or "")
        for student in students
        for field in (student.photo, student.photo_thumb)
        if field
    ]
    # One UPDATE for the batch; the placeholder name in the school's language (not the worker's).
    with translation.override(settings.LANGUAGE_CODE):
        first_name, last_name = _("Former"), _("student")
    Student.objects.filter(pk__in=ids).update(
        first_name=first_name,
        last_name=last_name,
        email="",
        phone="",
        address="",
        medical_notes="",
        photo="",
        photo_thumb="",
        admission_number=Concat(Value("ANON-"), Cast("pk", CharField())),
        date_of_birth=TruncYear("date_of_birth"),
        user=None,
    )
    logins = [student.user_id for student in students if student.user_id]
    User.objects.filter(pk__in=logins).update(
        first_name="",
        last_name="",
        email=Concat(Value("anonymised-"), Cast("pk", CharField()), Value("@invalid.invalid")),
        is_active=False,
    )
    AttendanceRecord.objects.filter(student__in=ids).update(note="", reason="")
    for note in AbsenceNote.objects.filter(student__in=ids).exclude(file=""):
        files.append((note.file.storage, note.file.name or ""))
    AbsenceNote.objects.filter(student__in=ids).update(reason="", decision_note="", file="", file_name="")
    for row in SubmissionFile.objects.filter(submission__student__in=ids):
        files.append((row.file.storage, row.file.name or ""))
    SubmissionFile.objects.filter(submission__student__in=ids).delete()
    for submission in Submission.objects.filter(student__in=ids).exclude(feedback_file=""):
        files.append((submission.feedback_file.storage, submission.feedback_file.name or ""))
    Submission.objects.filter(student__in=ids).update(
        text="", feedback="", feedback_file="", feedback_file_name="", extracted_text=None
    )
    Payment.objects.filter(student__in=ids).update(payer_name="")
    GuardianLink.objects.filter(student__in=ids).delete()
    AnonymisedStudent.objects.bulk_create([AnonymisedStudent(student_id=pk) for pk in ids])
    _delete_files(files)
    return len(students)


def _apply_leavers(rule: RetentionRule, now: datetime.datetime) -> int:
    return _batches(lambda: leavers(rule, now), _anonymise_leavers)


APPLY = {
    RetentionKind.DELIVERIES: _apply_deliveries,
    RetentionKind.AUDIT_EVENTS: _apply_audit_events,
    RetentionKind.UPLOADS: _apply_uploads,
    RetentionKind.LEAVERS: _apply_leavers,
}


def retention_apply(*, now: datetime.datetime | None = None, actor=None) -> dict[str, int]:
    """Apply every rule the school switched on (in batches; see the module docstring) and record the run
    with its counts per kind. Safe to run twice: what was done is no longer due."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    order = [kind.value for kind in RetentionKind]
    applied = sorted(RetentionRule.objects.filter(enabled=True), key=lambda rule: order.index(rule.kind))
    for rule in applied:
        counts[rule.kind] = APPLY[RetentionKind(rule.kind)](rule, now)
    audit_log(
        actor=actor,
        action=RUN_ACTION,
        model=RetentionRule,
        description=_("Retention schedule applied"),
        after={"counts": counts, "rules": {rule.kind: [rule.period, rule.action] for rule in applied}},
    )
    return counts


@transaction.atomic
def retention_rules_save(*, values: dict[str, dict], by) -> list[RetentionRule]:
    """Save the schedule (`values`: kind → enabled, period, action, already validated by the form)."""
    saved = []
    for kind, fields in values.items():
        rule = RetentionRule.objects.filter(kind=kind).first() or RetentionRule(kind=kind)
        before = {"enabled": rule.enabled, "period": rule.period, "action": rule.action} if rule.pk else None
        for name, value in fields.items():
            setattr(rule, name, value)
        rule.save()
        after = {"enabled": rule.enabled, "period": rule.period, "action": rule.action}
        if before != after:
            audit_log(actor=by, action="privacy.retention_rule", obj=rule, before=before, after=after)
        saved.append(rule)
    return saved
