"""Setting homework: a teacher creates an assignment for one or more of their classes, changes it, copies it
to another class or from an earlier year, publishes it (now, or at a set time through the queue) and deletes
it; and the reads the teacher's pages need (their classes' lists with counts, the calendar load).

One Assignment per class (course offering); the ones set together, and every copy, share a `lineage`. A
graded assignment owns an exams.Assessment (kind homework) in its class's gradebook: its maximum score, its
category, its term (the term of the due date) and its date (the due day) are kept in step here, always
through exams' services (`assessment_save`, `assessment_delete`), so the gradebook audits them as its own.

The rules of a valid assignment are written once, in `fields_problems`: the form shows them next to the
fields, and the services refuse the same things (`SettingError`) whoever calls them.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from modules.academics.models import CourseOffering, CourseOfferingQuerySet, EnrollmentStatus, Term
from modules.accounts.models import User
from modules.assignments.events import assignment_published
from modules.assignments.models import (
    Assignment,
    AssignmentFile,
    HandIn,
    HomeworkPolicy,
    LatePolicy,
    Submission,
    SubmissionFile,
)
from modules.assignments.states import days_late
from modules.core.audit import audit_log
from modules.core.uploads import SIGNATURES
from modules.exams import services as exams_services
from modules.exams.models import Assessment, AssessmentCategory, AssessmentKind, Mark

logger = logging.getLogger(__name__)

MAX_SCORE = Decimal("9999.99")  # what exams.Assessment.max_score holds (6 digits, 2 decimals)


class SettingError(Exception):
    """A change refused; `message` is for the teacher, `field` the form field it belongs to (or None)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class NewFile:
    """An upload that passed `validate_attachment`, with the content type it was recognised as."""

    upload: Any  # an UploadedFile
    content_type: str


@dataclass
class AssignmentFields:
    """What the teacher decides about an assignment, the same for every class it is set for."""

    title: str
    due_at: datetime.datetime
    opens_at: datetime.datetime
    instructions: str = ""
    hand_in: str = HandIn.FILE
    allowed_extensions: str = ""  # "pdf,docx"; empty: every kind the portal accepts
    late_policy: str = LatePolicy.ACCEPT
    late_until: datetime.datetime | None = None
    late_penalty_percent: Decimal = Decimal("0")
    max_score: Decimal | None = None  # None: not graded
    # When students see it: a time (now or later), or None to keep it as a draft. Ignored once published.
    publish_at: datetime.datetime | None = None
    extensions: list[str] = field(init=False, default_factory=list)

    def __post_init__(self):
        self.title = (self.title or "").strip()
        self.instructions = (self.instructions or "").strip()
        self.extensions = [
            e.strip().lower().lstrip(".") for e in (self.allowed_extensions or "").split(",") if e.strip()
        ]
        if self.hand_in != HandIn.FILE:
            self.extensions = []
        self.allowed_extensions = ",".join(dict.fromkeys(self.extensions))
        if self.late_policy == LatePolicy.REFUSE:
            self.late_until = None
            self.late_penalty_percent = Decimal("0")
        self.late_penalty_percent = Decimal(self.late_penalty_percent or 0)


# Columns the services copy from AssignmentFields onto an Assignment.
COPIED = (
    "title",
    "instructions",
    "hand_in",
    "allowed_extensions",
    "opens_at",
    "due_at",
    "late_policy",
    "late_until",
    "late_penalty_percent",
)
AUDITED = (*COPIED, "publish_at", "published_at", "term")


def fields_problems(
    fields: AssignmentFields, *, now: datetime.datetime | None = None
) -> list[tuple[str, str]]:
    """What is wrong with `fields`, as (field name, message) pairs; empty when they make an assignment."""
    problems: list[tuple[str, str]] = []
    if not fields.title:
        problems.append(("title", _("Give the assignment a title.")))
    if fields.due_at <= fields.opens_at:
        problems.append(("due_at", _("The due time must be after the time it opens.")))
    if fields.late_policy == LatePolicy.ACCEPT:
        if fields.late_until is not None and fields.late_until <= fields.due_at:
            problems.append(("late_until", _("The cut-off for late work must be after the due time.")))
        if not Decimal(0) <= fields.late_penalty_percent <= Decimal(100):
            problems.append(("late_penalty_percent", _("The penalty per day must be between 0 and 100%.")))
    if fields.max_score is not None and not Decimal("0.01") <= fields.max_score <= MAX_SCORE:
        problems.append(
            ("max_score", _("The maximum score must be between 0.01 and %(max)s.") % {"max": MAX_SCORE})
        )
    unknown = [e for e in fields.extensions if e not in SIGNATURES]
    if unknown:
        problems.append(
            (
                "allowed_extensions",
                _("The portal does not accept .%(kinds)s files. Choose among: %(accepted)s.")
                % {"kinds": ", .".join(unknown), "accepted": ", ".join(sorted(SIGNATURES))},
            )
        )
    now = now or timezone.now()
    if fields.publish_at is not None and fields.publish_at > now and fields.publish_at >= fields.due_at:
        problems.append(("publish_at", _("Publish it before it is due.")))
    return problems


def _check(fields: AssignmentFields) -> None:
    problems = fields_problems(fields)
    if problems:
        name, message = problems[0]
        raise SettingError(message, field=name)


def term_for(*, offering: CourseOffering, due_at: datetime.datetime) -> Term:
    """The term a graded assignment counts in: the term of its due day in the class's school year (between
    two terms, the one that ended last; before the first, the first). Refused outside the year."""
    day = timezone.localdate(due_at)
    year = offering.section.year
    if not year.start_date <= day <= year.end_date:
        raise SettingError(
            _("The due date falls outside %(class)s's school year (%(start)s – %(end)s).")
            % {
                "class": offering,
                "start": formats.date_format(year.start_date, "SHORT_DATE_FORMAT"),
                "end": formats.date_format(year.end_date, "SHORT_DATE_FORMAT"),
            },
            field="due_at",
        )
    terms = list(Term.objects.filter(year_id=year.pk).order_by("start_date"))
    if not terms:
        raise SettingError(
            _("%(year)s has no terms yet: ask the office to set them up.") % {"year": year}, field="due_at"
        )
    for term in terms:
        if term.start_date <= day <= term.end_date:
            return term
    started = [term for term in terms if term.start_date <= day]
    return started[-1] if started else terms[0]


def _category_check(offering: CourseOffering, category: AssessmentCategory | None) -> None:
    if category is not None and category.offering_id != offering.pk:
        raise SettingError(
            _("Choose one of %(class)s's own gradebook categories.") % {"class": offering}, field="category"
        )


def _locked_term_check(term: Term) -> None:
    if exams_services.term_locked(term.pk):
        raise SettingError(
            _(
                "The results of %(term)s are locked: a graded assignment due then cannot change the "
                "gradebook. Choose another due date, or ask the office."
            )
            % {"term": term.name},
            field="due_at",
        )


def _assessment_values(assessment: Assessment, fields: AssignmentFields, term: Term, category) -> None:
    assert fields.max_score is not None
    assessment.name = fields.title[: Assessment._meta.get_field("name").max_length or 100]
    assessment.kind = AssessmentKind.HOMEWORK
    assessment.max_score = fields.max_score
    assessment.category = category
    assessment.term = term
    assessment.date = timezone.localdate(fields.due_at)


def _assessment_create(
    *, offering: CourseOffering, fields: AssignmentFields, term: Term, category, by: User
) -> Assessment:
    _locked_term_check(term)
    assessment = Assessment(offering=offering)
    _assessment_values(assessment, fields, term, category)
    return exams_services.assessment_save(assessment=assessment, by=by)


# --- files ------------------------------------------------------------------------------------------------


def _sha256(handle) -> str:
    digest = hashlib.sha256()
    handle.seek(0)
    for chunk in iter(lambda: handle.read(64 * 1024), b""):
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest()


def _store(assignment: Assignment, *, name: str, content, size: int, content_type: str) -> AssignmentFile:
    attachment = AssignmentFile(
        assignment=assignment,
        name=name[:200],
        size=size,
        sha256=_sha256(content),
        content_type=content_type,
    )
    attachment.file.save(name, content, save=False)
    attachment.save()
    return attachment


def _store_files(
    assignment: Assignment, files: Sequence[NewFile], kept: Sequence[AssignmentFile], stored: list[str]
) -> None:
    """Write the new uploads and copies of `kept` (another assignment's files) for `assignment`; the names
    written are added to `stored` so that a failure further on can remove them."""
    for item in files:
        item.upload.seek(0)
        attachment = _store(
            assignment,
            name=item.upload.name or "file",
            content=item.upload,
            size=item.upload.size,
            content_type=item.content_type,
        )
        stored.append(attachment.file.name or "")
    for source in kept:
        with source.file.open("rb") as handle:
            content = ContentFile(handle.read(), name=source.name)
        attachment = _store(
            assignment, name=source.name, content=content, size=source.size, content_type=source.content_type
        )
        attachment.text = source.text
        attachment.save(update_fields=["text"])
        stored.append(attachment.file.name or "")


def _files_check(assignment: Assignment | None, files: Sequence[NewFile], kept: int, removed: int) -> None:
    policy = HomeworkPolicy.current()
    existing = assignment.files.count() if assignment is not None and assignment.pk else 0
    if existing - removed + kept + len(files) > policy.max_files:
        raise SettingError(
            _("Attach at most %(count)d files.") % {"count": policy.max_files}, field="attachments"
        )
    for item in files:
        if item.upload.size > policy.max_file_bytes:
            raise SettingError(
                _("%(name)s is larger than the school's limit.") % {"name": item.upload.name},
                field="attachments",
            )


def _delete_files(names: Iterable[str]) -> None:
    storage = AssignmentFile._meta.get_field("file").storage
    for name in names:
        if not name:
            continue
        try:
            storage.delete(name)
        except OSError:
            logger.warning("Could not delete the assignment file %s", name, exc_info=True)


def _audit_values(assignment: Assignment) -> dict[str, str]:
    values = {}
    for name in AUDITED:
        value = getattr(assignment, "term_id" if name == "term" else name)
        values[name] = "" if value is None else str(value)
    values["max_score"] = str(assignment.assessment.max_score) if assignment.assessment else ""
    values["category"] = (
        str(assignment.assessment.category_id or "") if assignment.assessment is not None else ""
    )
    return values


# --- services ---------------------------------------------------------------------------------------------


def _publish_if_due(assignment: Assignment, now: datetime.datetime) -> bool:
    """Publish a new or not yet published assignment whose time has come. True when it was published."""
    if assignment.published_at is None and assignment.publish_at is not None and assignment.publish_at <= now:
        assignment.published_at = now
        return True
    return False


@transaction.atomic
def assignments_create(
    *,
    offerings: Sequence[CourseOffering],
    fields: AssignmentFields,
    categories: Mapping[int, AssessmentCategory | None] | None = None,
    by: User,
    files: Sequence[NewFile] = (),
    source: Assignment | None = None,
    keep_files: Sequence[AssignmentFile] = (),
) -> list[Assignment]:
    """Set the same homework for each of `offerings` (the teacher's classes): one Assignment per class, all
    sharing one lineage (the source's when it is a copy), each graded one with its gradebook assessment in
    the category `categories[offering.pk]`. Published now when `fields.publish_at` has come, announced after
    commit (`assignment_published`); otherwise scheduled (or a draft)."""
    _check(fields)
    if not offerings:
        raise SettingError(_("Choose at least one class."), field="offerings")
    categories = categories or {}
    for offering in offerings:
        _category_check(offering, categories.get(offering.pk))
    if source is not None:
        keep_files = [item for item in keep_files if item.assignment_id == source.pk]
    else:
        keep_files = []
    _files_check(None, files, len(keep_files), 0)
    now = timezone.now()
    lineage = source.lineage if source is not None else uuid.uuid4()
    created: list[Assignment] = []
    stored: list[str] = []
    try:
        for offering in offerings:
            term = term_for(offering=offering, due_at=fields.due_at)
            assignment = Assignment(
                offering=offering,
                term=term,
                lineage=lineage,
                copied_from=source,
                created_by=by,
                publish_at=fields.publish_at,
            )
            for name in COPIED:
                setattr(assignment, name, getattr(fields, name))
            if fields.max_score is not None:
                assignment.assessment = _assessment_create(
                    offering=offering, fields=fields, term=term, category=categories.get(offering.pk), by=by
                )
            published = _publish_if_due(assignment, now)
            assignment.save()
            _store_files(assignment, files, keep_files, stored)
            audit_log(
                actor=by,
                action="assignment.copy" if source is not None else "assignment.create",
                obj=assignment,
                after={**_audit_values(assignment), "copied_from": str(source.pk) if source else ""},
            )
            if published:
                assignment_published.send_on_commit(assignment_id=assignment.pk, by=by)
            created.append(assignment)
    except Exception:
        _delete_files(stored)
        raise
    return created


def assignment_copy(
    *,
    source: Assignment,
    offerings: Sequence[CourseOffering],
    fields: AssignmentFields,
    categories: Mapping[int, AssessmentCategory | None] | None = None,
    by: User,
    files: Sequence[NewFile] = (),
    keep_files: Sequence[AssignmentFile] = (),
) -> list[Assignment]:
    """Copy `source` (this year's, to another class, or an earlier year's) to `offerings` with the dates and
    settings in `fields`: same lineage (the similarity check compares them), `copied_from` the source, the
    source's files in `keep_files` copied (new stored files, so deleting either leaves the other whole)."""
    return assignments_create(
        offerings=offerings,
        fields=fields,
        categories=categories,
        by=by,
        files=files,
        source=source,
        keep_files=keep_files,
    )


@transaction.atomic
def assignment_update(
    *,
    assignment: Assignment,
    fields: AssignmentFields,
    category: AssessmentCategory | None = None,
    by: User,
    files: Sequence[NewFile] = (),
    remove_files: Sequence[AssignmentFile] = (),
) -> Assignment:
    """Change an assignment and keep its gradebook assessment in step: graded → its name, maximum,
    category, term and date follow; made graded → an assessment is created; made not graded → its
    assessment is deleted, refused once marks are in it. A new due date re-reckons the lateness of work
    handed in and not yet returned. Publishing: see `assignments_create` (ignored once published)."""
    _check(fields)
    stored = (
        Assignment.objects.select_for_update(of=("self",)).select_related("assessment").get(pk=assignment.pk)
    )
    offering = CourseOffering.objects.select_related("section__year").get(pk=stored.offering_id)
    _category_check(offering, category)
    remove_files = [item for item in remove_files if item.assignment_id == stored.pk]
    _files_check(stored, files, 0, len(remove_files))
    before = _audit_values(stored)
    term = term_for(offering=offering, due_at=fields.due_at)
    old_due = stored.due_at
    for name in COPIED:
        setattr(stored, name, getattr(fields, name))
    stored.term = term
    now = timezone.now()
    published = False
    if stored.published_at is None:
        stored.publish_at = fields.publish_at
        published = _publish_if_due(stored, now)
    dropped: Assessment | None = None
    if fields.max_score is None and stored.assessment is not None:
        if Mark.objects.filter(assessment=stored.assessment).exists():
            raise SettingError(
                _(
                    "Marks for it are already in the gradebook, so it stays graded. Remove them from the "
                    "gradebook first to make it not graded."
                ),
                field="max_score",
            )
        dropped, stored.assessment = stored.assessment, None
    elif fields.max_score is not None and stored.assessment is not None:
        assessment = stored.assessment
        moves = (assessment.term_id, assessment.max_score, assessment.category_id) != (
            term.pk,
            fields.max_score,
            category.pk if category else None,
        )
        if moves:
            _locked_term_check(assessment.term)
            _locked_term_check(term)
        _assessment_values(assessment, fields, term, category)
        try:
            exams_services.assessment_save(assessment=assessment, by=by)
        except exams_services.GradeError as refusal:
            raise SettingError(refusal.message, field="max_score") from None
    elif fields.max_score is not None:
        stored.assessment = _assessment_create(
            offering=offering, fields=fields, term=term, category=category, by=by
        )
    stored.save()
    if dropped is not None:
        # Fetched again: the row read with the assignment still names it as its assignment.
        exams_services.assessment_delete(assessment=Assessment.objects.get(pk=dropped.pk), by=by)
    if stored.due_at != old_due:
        _lateness_reckon(stored)
    names = [item.file.name for item in remove_files if item.file.name]
    if remove_files:
        AssignmentFile.objects.filter(pk__in=[item.pk for item in remove_files]).delete()
        transaction.on_commit(lambda: _delete_files(names))
    written: list[str] = []
    try:
        _store_files(stored, files, [], written)
    except Exception:
        _delete_files(written)
        raise
    after = _audit_values(stored)
    changed = {key for key in after if after[key] != before.get(key)}
    audit_log(
        actor=by,
        action="assignment.change",
        obj=stored,
        before={key: before.get(key, "") for key in changed},
        after={
            **{key: after[key] for key in changed},
            **({"files_added": [item.upload.name for item in files]} if files else {}),
            **({"files_removed": [item.name for item in remove_files]} if remove_files else {}),
        },
    )
    if published:
        assignment_published.send_on_commit(assignment_id=stored.pk, by=by)
    assignment.refresh_from_db()
    return stored


def _lateness_reckon(assignment: Assignment) -> None:
    """Work handed in and not returned is late or on time by the assignment's (new) due time; a student with
    an extension keeps theirs."""
    changed = []
    for submission in Submission.objects.filter(
        assignment=assignment,
        submitted_at__isnull=False,
        returned_at__isnull=True,
        extended_due_at__isnull=True,
    ).only("pk", "submitted_at", "is_late", "days_late"):
        assert submission.submitted_at is not None
        late = days_late(assignment.due_at, submission.submitted_at)
        if (submission.is_late, submission.days_late) != (late > 0, late):
            submission.is_late, submission.days_late = late > 0, late
            changed.append(submission)
    if changed:
        Submission.objects.bulk_update(changed, ["is_late", "days_late"])


@transaction.atomic
def assignment_publish(*, assignment: Assignment, by: User) -> bool:
    """Publish now (a draft, or one scheduled for later). False when it was already published."""
    now = timezone.now()
    updated = Assignment.objects.filter(pk=assignment.pk, published_at__isnull=True).update(
        published_at=now, publish_at=now, updated_at=now
    )
    if not updated:
        return False
    assignment.refresh_from_db()
    audit_log(actor=by, action="assignment.publish", obj=assignment)
    assignment_published.send_on_commit(assignment_id=assignment.pk, by=by)
    return True


def assignments_publish_due(*, now: datetime.datetime | None = None) -> int:
    """Publish every assignment whose publish time has come (the queue calls this every minute). Each is
    claimed by one conditional update, so two workers running it at once publish (and announce) it once.
    Returns how many this run published."""
    now = now or timezone.now()
    due = list(
        Assignment.objects.filter(
            published_at__isnull=True, publish_at__isnull=False, publish_at__lte=now
        ).values_list("pk", flat=True)
    )
    count = 0
    for pk in due:
        with transaction.atomic():
            claimed = Assignment.objects.filter(pk=pk, published_at__isnull=True, publish_at__lte=now).update(
                published_at=now, updated_at=now
            )
            if not claimed:
                continue
            audit_log(actor=None, action="assignment.publish", obj=Assignment.objects.get(pk=pk))
            assignment_published.send_on_commit(assignment_id=pk, by=None)
            count += 1
    return count


@dataclass(frozen=True)
class DeleteImpact:
    """What deleting an assignment takes with it, for the confirmation page."""

    handed_in: int
    marks: int


def delete_impact(assignment: Assignment) -> DeleteImpact:
    handed_in = assignment.submissions.filter(submitted_at__isnull=False).count()
    marks = Mark.objects.filter(assessment=assignment.assessment).count() if assignment.is_graded else 0
    return DeleteImpact(handed_in=handed_in, marks=marks)


@transaction.atomic
def assignment_delete(*, assignment: Assignment, by: User, keep_marks: bool = True) -> None:
    """Delete an assignment with its files and its students' hand-ins. Its gradebook assessment goes too,
    unless marks are in it and `keep_marks`: then the marks stay in the gradebook as a plain assessment."""
    stored = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("assessment__term")
        .get(pk=assignment.pk)
    )
    impact = delete_impact(stored)
    if impact.marks and not keep_marks and stored.assessment is not None:
        _locked_term_check(stored.assessment.term)
    names: list[str] = [
        name
        for name in AssignmentFile.objects.filter(assignment=stored).values_list("file", flat=True)
        if name
    ]
    names += [
        name
        for name in SubmissionFile.objects.filter(submission__assignment=stored).values_list(
            "file", flat=True
        )
        if name
    ]
    names += [
        name
        for name in Submission.objects.filter(assignment=stored).values_list("feedback_file", flat=True)
        if name
    ]
    assessment_id = stored.assessment_id
    audit_log(
        actor=by,
        action="assignment.delete",
        obj=stored,
        before={
            **_audit_values(stored),
            "handed_in": impact.handed_in,
            "marks": impact.marks,
            "kept_marks": bool(impact.marks and keep_marks),
        },
    )
    stored.delete()
    if assessment_id is not None and not (impact.marks and keep_marks):
        exams_services.assessment_delete(assessment=Assessment.objects.get(pk=assessment_id), by=by)
    transaction.on_commit(lambda: _delete_files(names))


# --- reads for the teacher's pages ------------------------------------------------------------------------


def teacher_offerings(user: User, *, year_id: int | None) -> CourseOfferingQuerySet:
    """The classes a teacher sets homework for this year (all their classes when there is no current year),
    with their number of active students."""
    queryset = CourseOffering.objects.taught_by(user)
    if year_id is not None:
        queryset = queryset.filter(section__year_id=year_id)
    return queryset.select_related("subject", "section__grade_level", "section__year").annotate(
        students=Count(
            "section__enrollments",
            filter=Q(section__enrollments__status=EnrollmentStatus.ACTIVE),
            distinct=True,
        )
    )


def assignments_with_counts(queryset: QuerySet[Assignment]) -> QuerySet[Assignment]:
    """Assignments with how many hand-ins came in (`handed_in`) and how many wait to be marked and returned
    (`to_mark`), and their gradebook assessment, in one query."""
    return queryset.select_related("assessment__category", "offering__subject", "offering__section").annotate(
        handed_in=Count("submissions", filter=Q(submissions__submitted_at__isnull=False)),
        to_mark=Count(
            "submissions",
            filter=Q(submissions__submitted_at__isnull=False, submissions__returned_at__isnull=True),
        ),
        file_count=Count("files", distinct=True),
    )


@dataclass
class DayLoad:
    """Other homework a class's students have due on the chosen day and in its week (Monday to Sunday)."""

    section: str
    day_count: int
    week_count: int
    day_subjects: list[str]


def calendar_load(
    *, offerings: Sequence[CourseOffering], due_at: datetime.datetime, exclude: Assignment | None = None
) -> tuple[datetime.date, list[DayLoad]]:
    """For each section of `offerings` (its students carry the load of every subject), how many other
    assignments are due on the local day of `due_at` and in its week: drafts and scheduled ones included,
    since they will be due too. One query."""
    day = timezone.localdate(due_at)
    monday = day - datetime.timedelta(days=day.weekday())
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(monday, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(monday + datetime.timedelta(days=7), datetime.time.min, tzinfo=zone)
    sections: dict[int, str] = {}
    for offering in offerings:
        sections.setdefault(offering.section_id, offering.section.name)
    rows = Assignment.objects.filter(
        offering__section_id__in=list(sections), due_at__gte=start, due_at__lt=end
    )
    if exclude is not None:
        rows = rows.exclude(pk=exclude.pk)
    loads = {
        pk: DayLoad(section=name, day_count=0, week_count=0, day_subjects=[]) for pk, name in sections.items()
    }
    for section_id, due, subject in rows.values_list(
        "offering__section_id", "due_at", "offering__subject__name"
    ):
        load = loads[section_id]
        load.week_count += 1
        if timezone.localdate(due) == day:
            load.day_count += 1
            if subject not in load.day_subjects:
                load.day_subjects.append(subject)
    for load in loads.values():
        load.day_subjects.sort()
    return day, list(loads.values())
