"""What the inbox and marking tests share: a graded homework of the teacher's class (7A, Mathematics), due
three days ago, 10% off per day late, and its hand-ins."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from modules.assignments.models import Assignment, HandIn, Submission, SubmissionFile
from modules.people.models import Student
from tests import factories as f


@dataclass
class Homework:
    assignment: Assignment
    on_time: Submission  # Sam Parent (the student persona): handed in on time, typed
    late: Submission  # Lee Late: two days late, one file
    missing: Student  # Max Missing: nothing handed in

    @property
    def pk(self) -> int:
        return self.assignment.pk


def graded_homework(school, *, title: str = "Essay", hand_in: str = HandIn.TEXT, max_score=20, **kwargs):
    now = timezone.now()
    assessment = f.AssessmentFactory(
        offering=school.offering, term=school.term, name=title, kind="homework", max_score=max_score
    )
    values = {
        "offering": school.offering,
        "term": school.term,
        "assessment": assessment,
        "title": title,
        "hand_in": hand_in,
        "opens_at": now - datetime.timedelta(days=10),
        "due_at": now - datetime.timedelta(days=3),
        "published_at": now - datetime.timedelta(days=10),
        "late_penalty_percent": 10,
        **kwargs,
    }
    return f.AssignmentFactory(**values)


def pupil(school, first: str, last: str, number: str) -> Student:
    student = f.StudentFactory(first_name=first, last_name=last, admission_number=number)
    f.EnrollmentFactory(student=student, section=school.section)
    return student


def hand_in_file(submission: Submission, name: str, content: bytes) -> SubmissionFile:
    row = SubmissionFile(
        submission=submission,
        version=submission.version,
        name=name,
        size=len(content),
        sha256="0" * 64,
        content_type="text/plain",
    )
    row.file.save(name, ContentFile(content), save=False)
    row.save()
    return row


@pytest.fixture(name="homework")
def homework_fixture(school) -> Homework:
    assignment = graded_homework(school)
    due = assignment.due_at
    on_time = f.SubmissionFactory(
        assignment=assignment,
        student=school.child,
        text="Photosynthesis turns light into sugar.",
        submitted_at=due - datetime.timedelta(hours=5),
    )
    late_student = pupil(school, "Lee", "Late", "A-0101")
    late = f.SubmissionFactory(
        assignment=assignment,
        student=late_student,
        text="",
        submitted_at=due + datetime.timedelta(days=1, hours=2),
        is_late=True,
        days_late=2,
    )
    hand_in_file(late, "essay.txt", b"Late but thorough.")
    missing = pupil(school, "Max", "Missing", "A-0102")
    return Homework(assignment=assignment, on_time=on_time, late=late, missing=missing)
