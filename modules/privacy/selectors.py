"""What the school holds on one child, read for a data request: every section as rows of plain values, so
that the PDFs and the JSON of a request are made from the same rows and cannot disagree.

Every query is scoped to the one child (their rows by `student`), and what families see is read as the
guardian who asked sees it (marks of published assessments, message threads they take part in, their own
and the child's notifications), so a request never carries another child's rows nor another family's.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _

from modules.academics.models import Enrollment
from modules.assignments.models import Submission, SubmissionFile
from modules.attendance.models import AbsenceNote, AttendanceRecord
from modules.communications.models import Message, Notification, Thread
from modules.exams.grading import AssessmentInfo, MarkValue, average, scale_and_bands, weighted_percent
from modules.exams.models import Assessment, AssessmentCategory, Mark, TermStatus
from modules.fees.models import Invoice, Payment
from modules.people.models import GuardianLink, Student

Value = str | int | None


@dataclass
class Section:
    """One part of a child's data: a title, its columns (key, heading) and its rows (key → value)."""

    key: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Value]] = field(default_factory=list)

    def table(self) -> list[list[Value]]:
        """The rows as lists in column order (for the PDF's tables)."""
        return [[row.get(key) for key, _heading in self.columns] for row in self.rows]


def _text(value: Any) -> Value:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int):
        return value
    return str(value)


def _row(**values: Any) -> dict[str, Value]:
    return {key: _text(value) for key, value in values.items()}


def _profile(student: Student) -> Section:
    section = Section(
        "profile",
        _("Profile"),
        [
            ("first_name", _("First name")),
            ("last_name", _("Last name")),
            ("admission_number", _("Admission number")),
            ("date_of_birth", _("Date of birth")),
            ("gender", _("Gender")),
            ("email", _("Email")),
            ("phone", _("Phone")),
            ("address", _("Address")),
            ("admission_date", _("Admission date")),
            ("health_notes", _("Health notes")),
            ("active", _("Active")),
        ],
    )
    section.rows.append(
        _row(
            first_name=student.first_name,
            last_name=student.last_name,
            admission_number=student.admission_number,
            date_of_birth=student.date_of_birth,
            gender=student.get_gender_display(),
            email=student.email,
            phone=student.phone,
            address=student.address,
            admission_date=student.admission_date,
            health_notes=student.medical_notes,
            active=student.is_active,
        )
    )
    return section


def _guardians(student: Student) -> Section:
    section = Section(
        "guardians",
        _("Guardians"),
        [
            ("name", _("Name")),
            ("relationship", _("Relationship")),
            ("primary", _("Primary contact")),
            ("email", _("Email")),
            ("phone", _("Phone")),
            ("address", _("Address")),
        ],
    )
    for link in GuardianLink.objects.filter(student=student).select_related("guardian"):
        guardian = link.guardian
        section.rows.append(
            _row(
                name=guardian.full_name,
                relationship=link.get_relationship_display(),
                primary=link.is_primary,
                email=guardian.email,
                phone=guardian.phone,
                address=guardian.address,
            )
        )
    return section


def _enrolments(student: Student) -> Section:
    section = Section(
        "enrolments",
        _("Enrolments"),
        [
            ("year", _("Year")),
            ("grade_level", _("Grade level")),
            ("section", _("Section")),
            ("status", _("Status")),
            ("enrolled_on", _("Enrolled on")),
        ],
    )
    rows = (
        Enrollment.objects.filter(student=student)
        .select_related("year", "section__grade_level")
        .order_by("year__start_date", "pk")
    )
    for enrolment in rows:
        section.rows.append(
            _row(
                year=enrolment.year.name,
                grade_level=enrolment.section.grade_level.name,
                section=enrolment.section.name,
                status=enrolment.get_status_display(),
                enrolled_on=enrolment.enrolled_on,
            )
        )
    return section


def _attendance(student: Student) -> Section:
    section = Section(
        "attendance",
        _("Attendance records"),
        [
            ("date", _("Date")),
            ("register", _("Register")),
            ("status", _("Status")),
            ("late_minutes", _("Minutes late")),
            ("reason", _("Excuse reason")),
            ("note", _("Note")),
        ],
    )
    records = (
        AttendanceRecord.objects.filter(student=student)
        .select_related(
            "register__section",
            "register__offering__subject",
            "register__offering__section",
            "register__period",
        )
        .order_by("date", "register__period__start_time", "pk")
    )
    for record in records:
        section.rows.append(
            _row(
                date=record.date,
                register=str(record.register),
                status=record.get_status_display(),
                late_minutes=record.late_minutes,
                reason=record.reason,
                note=record.note,
            )
        )
    return section


def _marks(student: Student, viewer) -> tuple[Section, list[Mark]]:
    section = Section(
        "marks",
        _("Marks"),
        [
            ("term", _("Term")),
            ("subject", _("Subject")),
            ("assessment", _("Assessment")),
            ("date", _("Date")),
            ("mark", _("Mark")),
            ("out_of", _("Out of")),
        ],
    )
    visible = Assessment.objects.visible_to(viewer).values("pk")
    marks = list(
        Mark.objects.filter(student=student, assessment__in=visible)
        .select_related("assessment__term", "assessment__offering__subject")
        .order_by("assessment__term__start_date", "assessment__offering__subject__name", "assessment__date")
    )
    for mark in marks:
        assessment = mark.assessment
        section.rows.append(
            _row(
                term=assessment.term.name,
                subject=assessment.offering.subject.name,
                assessment=assessment.name,
                date=assessment.date,
                mark=mark.label,
                out_of=mark.max_score if mark.is_scored else None,
            )
        )
    return section, marks


def _term_results(student: Student, marks: list[Mark]) -> Section:
    """Each subject's average of a term whose results the school published, as the family's grades page
    computes it (weighted by category, with the grade level's letter)."""
    section = Section(
        "term_results",
        _("Term results"),
        [
            ("term", _("Term")),
            ("subject", _("Subject")),
            ("percent", _("Average (%)")),
            ("grade", _("Grade")),
        ],
    )
    published = set(
        TermStatus.objects.filter(results_published_at__isnull=False).values_list("term_id", flat=True)
    )
    grouped: dict[tuple[int, int], list[Mark]] = defaultdict(list)
    for mark in marks:
        if mark.assessment.term_id in published:
            grouped[(mark.assessment.term_id, mark.assessment.offering_id)].append(mark)
    if not grouped:
        return section
    offering_ids = {offering_id for _term, offering_id in grouped}
    weights: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for pk, offering_id, weight in AssessmentCategory.objects.filter(offering__in=offering_ids).values_list(
        "pk", "offering_id", "weight"
    ):
        weights[offering_id][pk] = weight
    grade_of = dict(
        Enrollment.objects.filter(student=student).values_list("year_id", "section__grade_level_id")
    )
    scales: dict[int | None, tuple] = {}
    for (_term_id, offering_id), taken in grouped.items():
        first = taken[0].assessment
        infos = {
            m.assessment_id: AssessmentInfo(
                pk=m.assessment_id, max_score=m.assessment.max_score, category_id=m.assessment.category_id
            )
            for m in taken
        }
        values = [MarkValue(assessment_id=m.assessment_id, score=m.score, code=m.code) for m in taken]
        grade_level_id = grade_of.get(first.term.year_id)
        if grade_level_id not in scales:
            scales[grade_level_id] = scale_and_bands(grade_level_id)
        scale, bands = scales[grade_level_id]
        result = average(weighted_percent(values, infos, weights.get(offering_id) or None), scale, bands)
        section.rows.append(
            _row(
                term=first.term.name,
                subject=first.offering.subject.name,
                percent=result.percent,
                grade=result.letter,
            )
        )
    return section


def _homework(student: Student) -> Section:
    section = Section(
        "homework",
        _("Homework submissions"),
        [
            ("assignment", _("Assignment")),
            ("subject", _("Subject")),
            ("due", _("Due")),
            ("handed_in", _("Handed in")),
            ("late", _("Late")),
            ("score", _("Score")),
            ("returned", _("Returned")),
            ("feedback", _("Feedback")),
            ("files", _("Files")),
        ],
    )
    submissions = (
        Submission.objects.filter(student=student)
        .select_related("assignment__offering__subject")
        .prefetch_related(Prefetch("files", queryset=SubmissionFile.objects.order_by("version", "pk")))
        .order_by("assignment__due_at", "pk")
    )
    for submission in submissions:
        assignment = submission.assignment
        section.rows.append(
            _row(
                assignment=assignment.title,
                subject=assignment.offering.subject.name,
                due=assignment.due_at,
                handed_in=submission.submitted_at,
                late=submission.is_late,
                score=submission.raw_score if submission.returned_at else None,
                returned=submission.returned_at,
                feedback=submission.feedback if submission.returned_at else "",
                files=", ".join(f.name for f in submission.files.all()),
            )
        )
    return section


def _invoices(student: Student) -> Section:
    section = Section(
        "invoices",
        _("Invoices"),
        [
            ("number", _("Number")),
            ("issued_on", _("Issued on")),
            ("due_date", _("Due date")),
            ("total", _("Total")),
            ("paid", _("Paid")),
            ("credited", _("Credited")),
            ("status", _("Status")),
        ],
    )
    for invoice in Invoice.objects.filter(student=student).order_by("issued_on", "pk"):
        section.rows.append(
            _row(
                number=invoice.number,
                issued_on=invoice.issued_on,
                due_date=invoice.due_date,
                total=invoice.total,
                paid=invoice.amount_paid,
                credited=invoice.amount_credited,
                status=invoice.get_status_display(),
            )
        )
    return section


def _payments(student: Student) -> Section:
    section = Section(
        "payments",
        _("Payments"),
        [
            ("receipt_number", _("Receipt number")),
            ("received_on", _("Received on")),
            ("amount", _("Amount")),
            ("method", _("Method")),
            ("reference", _("Reference")),
            ("paid_by", _("Paid by")),
            ("refunded", _("Refunded")),
        ],
    )
    for payment in Payment.objects.filter(student=student).order_by("received_on", "pk"):
        section.rows.append(
            _row(
                receipt_number=payment.receipt_number,
                received_on=payment.received_on,
                amount=payment.amount,
                method=payment.get_method_display(),
                reference=payment.reference,
                paid_by=payment.payer_name,
                refunded=payment.amount_refunded,
            )
        )
    return section


def _absence_notes(student: Student) -> Section:
    section = Section(
        "absence_notes",
        _("Absence notes"),
        [
            ("sent", _("Sent")),
            ("date_from", _("From")),
            ("date_to", _("To")),
            ("reason", _("Reason")),
            ("status", _("Status")),
            ("answer", _("Note to the family")),
            ("document", _("Document")),
        ],
    )
    for note in AbsenceNote.objects.filter(student=student).order_by("created_at", "pk"):
        section.rows.append(
            _row(
                sent=note.created_at,
                date_from=note.date_from,
                date_to=note.date_to,
                reason=note.reason,
                status=note.get_status_display(),
                answer=note.decision_note,
                document=note.file_name,
            )
        )
    return section


def _messages(student: Student, viewer) -> Section:
    section = Section(
        "messages",
        _("Messages about the child"),
        [("subject", _("Subject")), ("sent", _("Sent")), ("sender", _("From")), ("message", _("Message"))],
    )
    threads = Thread.objects.filter(student=student).visible_to(viewer).values("pk")
    messages = (
        Message.objects.filter(thread__in=threads)
        .select_related("thread", "sender")
        .order_by("thread__created_at", "thread_id", "created_at", "pk")
    )
    for message in messages:
        sender = message.sender
        section.rows.append(
            _row(
                subject=message.thread.subject,
                sent=message.created_at,
                sender=(sender.get_full_name() or sender.email) if sender is not None else "",
                message=message.body,
            )
        )
    return section


def _notifications(student: Student, viewer, *, notes, invoices, submissions) -> Section:
    """Notifications to the guardian who asked (or to the child's own login) about the child's rows."""
    section = Section(
        "notifications",
        _("Notifications about the child"),
        [("sent", _("Sent")), ("title", _("Title")), ("text", _("Text"))],
    )
    about = (
        Q(object_type=Student._meta.label_lower, object_id=str(student.pk))
        | Q(object_type=AbsenceNote._meta.label_lower, object_id__in=notes)
        | Q(object_type=Invoice._meta.label_lower, object_id__in=invoices)
        | Q(object_type=Submission._meta.label_lower, object_id__in=submissions)
    )
    recipients = [viewer.pk] + ([student.user_id] if student.user_id else [])
    for notification in Notification.objects.filter(about, recipient__in=recipients).order_by("created_at"):
        section.rows.append(
            _row(sent=notification.created_at, title=notification.title, text=notification.body)
        )
    return section


def child_data(student: Student, viewer) -> list[Section]:
    """Everything the school holds on `student`, read as `viewer` (the guardian who asked) may read it."""
    mark_section, marks = _marks(student, viewer)
    homework = _homework(student)
    notes = _absence_notes(student)
    invoices = _invoices(student)

    def ids(model) -> list[str]:
        return [str(pk) for pk in model.objects.filter(student=student).values_list("pk", flat=True)]

    return [
        _profile(student),
        _guardians(student),
        _enrolments(student),
        _attendance(student),
        mark_section,
        _term_results(student, marks),
        homework,
        invoices,
        _payments(student),
        notes,
        _messages(student, viewer),
        _notifications(
            student, viewer, notes=ids(AbsenceNote), invoices=ids(Invoice), submissions=ids(Submission)
        ),
    ]
