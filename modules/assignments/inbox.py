"""Reads for the teacher's inbox: an assignment's class with each student's hand-in, and one student's work
beside its marking form.

The inbox loads in a fixed number of queries whatever the size of the class: the students, their hand-ins
(with the number of files of each one's current version), and, for graded homework, the gradebook's marks.
The mark shown for returned work is the gradebook's `exams.Mark`, read here, never a copy.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from modules.academics.models import EnrollmentStatus
from modules.accounts import rules as account_rules
from modules.assignments.marking import is_marked, late_penalty, mark_after_penalty
from modules.assignments.models import Assignment, Submission, SubmissionFile
from modules.assignments.states import WorkState, work_state
from modules.exams.gradebook import active_students
from modules.exams.models import Mark
from modules.people.models import Student


def get_assignment_for_marking(request, pk: int) -> Assignment:
    """The assignment if this person marks its class (its teacher, or the office); 404 otherwise."""
    user = request.user
    queryset = (
        Assignment.objects.all()
        if account_rules.is_administrator(user)
        else Assignment.objects.taught_by(user)
    )
    return get_object_or_404(
        queryset.select_related("offering__subject", "offering__section", "assessment", "term"), pk=pk
    )


def get_student_in_class(assignment: Assignment, pk: int) -> Student:
    """An active student of the assignment's class; 404 for anyone else (another class, withdrawn)."""
    return get_object_or_404(
        Student.objects.filter(
            enrollments__section_id=assignment.offering.section_id,
            enrollments__status=EnrollmentStatus.ACTIVE,
        ).distinct(),
        pk=pk,
    )


@dataclass
class InboxRow:
    student: Student
    submission: Submission | None
    state: WorkState
    mark: Mark | None  # the gradebook's, for returned graded work
    file_count: int
    marked: bool
    penalty: Decimal  # the late penalty (%) the mark gets (or got) at return

    @property
    def returned(self) -> bool:
        return self.submission is not None and self.submission.returned_at is not None

    @property
    def badge(self) -> str:
        return STATE_BADGES[self.state]

    @property
    def score_after_penalty(self) -> Decimal | None:
        submission = self.submission
        if submission is None or submission.raw_score is None:
            return None
        return mark_after_penalty(submission.raw_score, self.penalty)

    @property
    def mark_changed(self) -> bool:
        """The gradebook's mark is not what was returned: someone changed it there since."""
        expected = self.score_after_penalty
        if not self.returned or self.mark is None or expected is None:
            return False
        return self.mark.code != "" or self.mark.score != expected


@dataclass
class Inbox:
    assignment: Assignment
    rows: list[InboxRow]
    now: datetime.datetime

    def count(self, *states: WorkState) -> int:
        return sum(1 for row in self.rows if row.state in states)

    @property
    def handed_in(self) -> int:
        return self.count(WorkState.HANDED_IN, WorkState.LATE, WorkState.MARKED)

    @property
    def missing(self) -> int:
        return self.count(WorkState.MISSING)

    @property
    def to_return(self) -> int:
        return sum(1 for row in self.rows if row.marked and not row.returned)

    @property
    def returned(self) -> int:
        return sum(1 for row in self.rows if row.returned)


def _submissions(assignment: Assignment, student_ids: list[int]) -> dict[int, Submission]:
    rows = (
        Submission.objects.filter(assignment=assignment, student_id__in=student_ids)
        .defer("text", "extracted_text")
        .annotate(file_count=Count("files", filter=Q(files__version=F("version"))))
    )
    return {submission.student_id: submission for submission in rows}


def _marks(assignment: Assignment, student_ids: list[int]) -> dict[int, Mark]:
    if assignment.assessment_id is None:
        return {}
    rows = Mark.objects.filter(assessment_id=assignment.assessment_id, student_id__in=student_ids).only(
        "pk", "student_id", "score", "code", "max_score"
    )
    return {mark.student_id: mark for mark in rows}


def inbox_load(assignment: Assignment, *, now: datetime.datetime | None = None) -> Inbox:
    """Every active student of the class, in name order, with where their work stands."""
    now = now or timezone.now()
    students = active_students(assignment.offering)
    ids = [student.pk for student in students]
    submissions = _submissions(assignment, ids)
    marks = _marks(assignment, ids)
    rows = []
    for student in students:
        submission = submissions.get(student.pk)
        if submission is not None:
            submission.assignment = assignment  # states and penalties read it: no query per row
        returned = submission is not None and submission.returned_at is not None
        penalty = (
            submission.penalty_percent
            if submission is not None and returned
            else late_penalty(assignment, submission)
        )
        rows.append(
            InboxRow(
                student=student,
                submission=submission,
                state=work_state(assignment, submission, now),
                mark=marks.get(student.pk) if returned else None,
                file_count=getattr(submission, "file_count", 0) if submission else 0,
                marked=is_marked(assignment, submission),
                penalty=penalty,
            )
        )
    return Inbox(assignment=assignment, rows=rows, now=now)


@dataclass
class MarkingView:
    """One student's work beside the marking form."""

    assignment: Assignment
    student: Student
    submission: Submission | None
    files: list[SubmissionFile]
    state: WorkState
    mark: Mark | None
    penalty: Decimal
    previous: Student | None
    next: Student | None
    position: int  # 1-based, in the class's name order
    total: int

    @property
    def returned(self) -> bool:
        return self.submission is not None and self.submission.returned_at is not None

    @property
    def marked(self) -> bool:
        return is_marked(self.assignment, self.submission)

    @property
    def badge(self) -> str:
        return STATE_BADGES[self.state]

    @property
    def score_after_penalty(self) -> Decimal | None:
        if self.submission is None or self.submission.raw_score is None:
            return None
        return mark_after_penalty(self.submission.raw_score, self.penalty)

    @property
    def mark_changed(self) -> bool:
        expected = self.score_after_penalty
        if not self.returned or self.mark is None or expected is None:
            return False
        return self.mark.code != "" or self.mark.score != expected


def marking_load(
    assignment: Assignment, student_pk: int, *, now: datetime.datetime | None = None
) -> MarkingView:
    """The student's work, files and mark, and their neighbours in the class list (the keyboard's "next").
    404 for a student who is not an active student of the class."""
    now = now or timezone.now()
    students = active_students(assignment.offering)
    ids = [s.pk for s in students]
    try:
        index = ids.index(student_pk)
    except ValueError:
        raise Http404 from None
    student = students[index]
    submission = Submission.objects.filter(assignment=assignment, student=student).first()
    files: list[SubmissionFile] = []
    mark = None
    if submission is not None:
        submission.assignment = assignment
        files = list(SubmissionFile.objects.filter(submission=submission, version=submission.version))
        if submission.returned_at is not None and assignment.assessment_id is not None:
            mark = Mark.objects.filter(assessment_id=assignment.assessment_id, student=student).first()
    returned = submission is not None and submission.returned_at is not None
    return MarkingView(
        assignment=assignment,
        student=students[index],
        submission=submission,
        files=files,
        state=work_state(assignment, submission, now),
        mark=mark,
        penalty=submission.penalty_percent
        if returned and submission
        else late_penalty(assignment, submission),
        previous=students[index - 1] if index > 0 else None,
        next=students[index + 1] if index + 1 < len(students) else None,
        position=index + 1,
        total=len(students),
    )


# Each state's badge (Bootstrap's text-bg classes keep a readable contrast).
STATE_BADGES = {
    WorkState.DUE: "text-bg-secondary",
    WorkState.MISSING: "text-bg-danger",
    WorkState.HANDED_IN: "text-bg-primary",
    WorkState.LATE: "text-bg-warning",
    WorkState.MARKED: "text-bg-success",
}
