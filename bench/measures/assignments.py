"""Homework on the large school: a student's homework list, the teacher's inbox of 40 hand-ins, returning 40
marks into the gradebook, and the zip of 40 hand-ins. (The similarity check has its own file,
bench/measures/assignments_similarity.py.)

Reuses the attendance bench's "Bench 40" section (40 students, its homeroom teacher): the teacher gets a class
of its own there ("Bench homework" subject) with LIST_ASSIGNMENTS graded assignments in every state for the
list, one assignment handed in by all 40 for the inbox and the zip (a typed answer and a text file of about
2,000 words each), and one assignment per return run whose 40 hand-ins are marked and waiting. Created once
and kept; the return runs' assignments are put back to "marked, not returned" at every setup.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import zipfile
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.measures.attendance_register import BENCH_TEACHER_EMAIL, bench_register
from bench.measures.exams_gradebook import with_cpu_time
from bench.registry import DEFAULT_RUNS, DEFAULT_WARMUP, measure

LIST_ASSIGNMENTS = 40
FEW = 10  # the list's queries are counted with only this many published too: they must not grow
STUDENT_EMAIL = "homework.bench@demo.school"
RETURN_RUNS = 5
RETURN_WARMUP = 1
RETURN_POOL = DEFAULT_RUNS + DEFAULT_WARMUP  # one fresh assignment per run, up to `--runs 30`
ESSAY_WORDS = 2_000


def _essay(seed: int) -> str:
    words = ["river", "market", "evidence", "village", "trade", "source", "climate", "argument", "century"]
    return " ".join(
        f"{words[(seed * 7 + n * 3) % len(words)]}{(seed * 31 + n) % 997}" for n in range(ESSAY_WORDS)
    )


def _class():
    """The bench class (idempotent): its offering, term, students, homework category and the teacher."""
    from modules.academics.models import CourseOffering, Subject
    from modules.academics.selectors import current_term
    from modules.exams.gradebook import active_students
    from modules.exams.models import AssessmentCategory

    register = bench_register()
    section = register.section
    subject, _created = Subject.objects.get_or_create(code="BENCHHW", defaults={"name": "Bench homework"})
    offering, _created = CourseOffering.objects.get_or_create(
        subject=subject, section=section, defaults={"teacher": section.homeroom_teacher}
    )
    term = current_term(section.year, register.date) or section.year.terms.order_by("start_date").first()
    category, _created = AssessmentCategory.objects.get_or_create(
        offering=offering, name="Homework", defaults={"weight": 100}
    )
    return offering, term, list(active_students(offering)), category


def _assignment(offering, term, category, title: str, *, due: datetime.datetime, hand_in: str = "text"):
    from modules.assignments.models import Assignment
    from modules.exams.models import Assessment, AssessmentKind

    found = Assignment.objects.filter(offering=offering, title=title).first()
    if found is not None:
        return found
    assessment = Assessment.objects.create(
        offering=offering,
        term=term,
        category=category,
        name=title,
        kind=AssessmentKind.HOMEWORK,
        max_score=Decimal(10),
        date=due.date(),
    )
    opens = due - datetime.timedelta(days=7)
    return Assignment.objects.create(
        offering=offering,
        term=term,
        assessment=assessment,
        title=title,
        hand_in=hand_in,
        opens_at=opens,
        due_at=due,
        published_at=opens,
        notified_at=opens,
        created_by=offering.teacher.user,
    )


def bench_homework_list():
    """LIST_ASSIGNMENTS assignments for the class, due from three weeks ago to three weeks ahead; the bench
    student (with a login) has handed in most of the past ones, and a third of those are returned."""
    from django.utils import timezone

    from modules.accounts.models import User
    from modules.assignments.models import Submission
    from modules.exams.models import Mark

    offering, term, students, category = _class()
    student = students[0]
    if student.user_id is None:
        user = User.objects.filter(email=STUDENT_EMAIL).first() or User.objects.create_user(
            STUDENT_EMAIL, first_name=student.first_name, last_name=student.last_name
        )
        student.user = user
        student.save(update_fields=["user"])
    now = timezone.now()
    assignments = []
    for n in range(LIST_ASSIGNMENTS):
        due = now + datetime.timedelta(days=n - LIST_ASSIGNMENTS // 2, hours=1)
        assignment = _assignment(offering, term, category, f"Bench list {n:02d}", due=due)
        assignments.append(assignment)
        if assignment.due_at > now or n % 5 == 0:
            continue  # due later, or missing
        returned = assignment.due_at if n % 3 == 0 else None
        submission, created = Submission.objects.get_or_create(
            assignment=assignment,
            student=student,
            defaults={
                "text": "My answer.",
                "submitted_at": assignment.due_at - datetime.timedelta(hours=2),
                "version": 1,
                "raw_score": Decimal(7) if returned else None,
                "returned_at": returned,
                "notified_at": returned,
            },
        )
        if created and returned:
            Mark.objects.create(
                assessment_id=assignment.assessment_id,
                student=student,
                score=Decimal(7),
                max_score=Decimal(10),
            )
    return student, assignments


def bench_inbox():
    """One assignment handed in by all 40: a typed answer and a text file each."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from modules.assignments.models import Submission, SubmissionFile
    from modules.core.uploads import private_upload_path

    offering, term, students, category = _class()
    due = timezone.now() - datetime.timedelta(days=1)
    assignment = _assignment(offering, term, category, "Bench inbox", due=due, hand_in="file")
    have = set(Submission.objects.filter(assignment=assignment).values_list("student_id", flat=True))
    for n, student in enumerate(students):
        if student.pk in have:
            continue
        submission = Submission.objects.create(
            assignment=assignment,
            student=student,
            text="See my file.",
            submitted_at=assignment.due_at - datetime.timedelta(hours=n % 20 + 1),
            version=1,
        )
        data = _essay(n).encode()
        row = SubmissionFile(
            submission=submission,
            version=1,
            name=f"essay-{n:02d}.txt",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            content_type="text/plain",
        )
        row.file.name = default_storage.save(
            private_upload_path("submissions", row, row.name), ContentFile(data)
        )
        row.save()
    return assignment, students


def bench_returns(count: int):
    """`count` assignments whose 40 hand-ins are marked and not returned (put back so at every setup)."""
    from django.utils import timezone

    from modules.assignments.models import Submission
    from modules.exams.models import Mark

    offering, term, students, category = _class()
    due = timezone.now() - datetime.timedelta(days=2)
    assignments = []
    for n in range(count):
        assignment = _assignment(offering, term, category, f"Bench return {n:02d}", due=due)
        Mark.objects.filter(assessment_id=assignment.assessment_id).delete()
        Submission.objects.filter(assignment=assignment).delete()
        Submission.objects.bulk_create(
            Submission(
                assignment=assignment,
                student=student,
                text="My answer.",
                submitted_at=due - datetime.timedelta(hours=3),
                version=1,
                raw_score=Decimal(number % 11),
                feedback="Good work.",
                marked_at=due + datetime.timedelta(hours=20),
                marked_by=offering.teacher.user,
            )
            for number, student in enumerate(students)
        )
        assignments.append(assignment)
    return assignments


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return len(queries)


@measure(
    "assignments: a student's homework list, 40 assignments (student)",
    budget_ms=40,
    budget_queries=12,
)
def homework_list(bench):
    from bench.runner import BenchError
    from modules.assignments.models import Assignment

    _student, assignments = bench_homework_list()
    client = bench.client_for(STUDENT_EMAIL)
    url = reverse("assignments:student_list")
    page = bench.get(client, url).content.decode()
    if assignments[0].title not in page and assignments[-1].title not in page:
        raise BenchError("the bench assignments are not on the student's list")
    # Flat: the same number of queries with only FEW of the 40 published.
    hidden = [a.pk for a in assignments[FEW:]]
    published = dict(Assignment.objects.filter(pk__in=hidden).values_list("pk", "published_at"))
    Assignment.objects.filter(pk__in=hidden).update(published_at=None)
    try:
        few = _queries(client, url)
    finally:
        for pk, moment in published.items():
            Assignment.objects.filter(pk=pk).update(published_at=moment)
    many = _queries(client, url)
    if few != many:
        raise BenchError(f"the list's queries grow with its assignments: {few} for {FEW}, {many} for 40")

    return with_cpu_time(
        lambda: bench.get(client, url),
        f"The student of the bench class with {LIST_ASSIGNMENTS} assignments in every state (due, missing, "
        f"handed in, marked); {many} queries, the same with {FEW} published.",
    )


@measure("assignments: the inbox of 40 hand-ins (teacher)", budget_ms=60, budget_queries=10)
def inbox(bench):
    from bench.runner import BenchError

    assignment, students = bench_inbox()
    client = bench.client_for(BENCH_TEACHER_EMAIL)
    url = reverse("assignments:inbox", args=[assignment.pk])
    page = bench.get(client, url).content.decode()
    if students[-1].last_name not in page:
        raise BenchError("the inbox does not list the class")
    return with_cpu_time(
        lambda: bench.get(client, url),
        f"Every student of the class ({len(students)}) with the hand-in's state, time, late flag, similarity "
        "and gradebook mark.",
    )


@measure(
    "assignments: returning 40 marks into the gradebook (teacher, one POST)",
    budget_ms=1000,
    budget_queries=None,
    runs=RETURN_RUNS,
    warmup=RETURN_WARMUP,
)
def return_marks(bench):
    from bench.runner import BenchError
    from modules.exams.models import Mark

    assignments = iter(bench_returns(RETURN_POOL))
    client = bench.client_for(BENCH_TEACHER_EMAIL)

    def run():
        assignment = next(assignments, None)
        if assignment is None:
            raise BenchError(f"at most {RETURN_POOL} runs: each returns a fresh assignment")
        response = client.post(reverse("assignments:inbox_return", args=[assignment.pk]))
        if response.status_code != 302:
            raise BenchError(f"returning answered {response.status_code}")
        if Mark.objects.filter(assessment_id=assignment.assessment_id).count() != 40:
            raise BenchError("the 40 marks are not in the gradebook")

    return with_cpu_time(
        run,
        "Each run returns a fresh assignment's 40 marked hand-ins: the late penalty, 40 gradebook marks "
        "written through exams' mark_set (audited), the assessment published to families, and (the bench's "
        "queue runs inline) the work-returned notices; the check of the 40 marks is timed too.",
    )


@measure("assignments: the zip of 40 hand-ins (teacher, streamed)", budget_ms=1000, budget_queries=10)
def hand_ins_zip(bench):
    from bench.runner import BenchError

    assignment, students = bench_inbox()
    client = bench.client_for(BENCH_TEACHER_EMAIL)
    url = reverse("assignments:inbox_zip", args=[assignment.pk])

    def run():
        response = bench.get(client, url)
        data = b"".join(response.streaming_content)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            files = [name for name in archive.namelist() if not name.endswith("/")]
        if len(files) < len(students):
            raise BenchError(f"the zip holds {len(files)} files for {len(students)} hand-ins")

    return with_cpu_time(
        run,
        f"{len(students)} hand-ins of a text file of about {ESSAY_WORDS:,} words (and a typed answer), read "
        "from the storage and written into one zip, streamed; the run reads the whole response.",
    )
