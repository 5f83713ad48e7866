"""The demo school's homework (modules/assignments/demo.py): loaded for real into the test database on a
Wednesday of the autumn term, then read as the school's people read it — the student's list, the teacher's
inbox, the gradebook — and checked by the similarity engine."""

from __future__ import annotations

import datetime
import hashlib
import time
from collections import Counter
from unittest.mock import patch

import pytest
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Count
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from modules.academics.models import CourseOffering
from modules.accounts.demo import DEMO_PASSWORD, PARENT_EMAIL, STUDENT_EMAIL, TEACHER_EMAIL
from modules.assignments.demo import seed_assignments
from modules.assignments.models import Assignment, HandIn, HomeworkPolicy, Submission, SubmissionFile
from modules.assignments.notices import assignments_notices_due, returns_notices_due
from modules.assignments.similarity_checks import similarity_check
from modules.assignments.states import WorkState, work_state
from modules.communications.models import NotificationPreference
from modules.demo import seed as demo_seed
from modules.exams.models import Mark
from modules.people.models import Student

TODAY = datetime.date(2026, 11, 18)


@pytest.fixture(scope="module")
def homework_school(django_db_setup, django_db_blocker, tmp_path_factory):
    """One small demo school loaded as if on TODAY, the homework step run on its own to time it and count its
    queries; shared by the read-only checks below and rolled back after the last of them."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    with django_db_blocker.unblock(), media, transaction.atomic():
        steps = [step for step in demo_seed.SEED_STEPS if step is not seed_assignments]
        with patch.object(demo_seed, "SEED_STEPS", steps):
            ctx = demo_seed.demo_school_seed(size="small", today=TODAY)
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            seed_assignments(ctx)
        yield {"seconds": time.perf_counter() - started, "queries": len(queries), "ctx": ctx}
        transaction.set_rollback(True)


pytestmark = pytest.mark.usefixtures("homework_school", "db")


def moment(hour: int = 12) -> datetime.datetime:
    return datetime.datetime.combine(TODAY, datetime.time(hour), timezone.get_current_timezone())


def test_it_seeds_in_bulk_and_fast(homework_school):
    assert homework_school["seconds"] < 20  # about 2 s on a quiet laptop
    # Batches, not rows: thousands of hand-ins in a few dozen queries, plus the similarity check of the demo
    # teacher's few assignments (the check's own queries, a few dozen each, whatever the number of hand-ins).
    checked = Assignment.objects.filter(checked_at__isnull=False).count()
    assert 1 <= checked <= 12  # the demo teacher teaches one subject in a few sections
    assert homework_school["queries"] < 60 + 60 * checked, (homework_school["queries"], checked)
    assert Submission.objects.count() > 3_000


def test_it_sets_homework_in_every_class():
    offerings = CourseOffering.objects.filter(section__year__is_current=True)
    now = moment()
    for offering in offerings.annotate(n=Count("assignments")):
        assert offering.n >= 3, offering
    due_later = Assignment.objects.published(now).filter(due_at__gt=now)
    due_before = Assignment.objects.published(now).filter(due_at__lt=now)
    assert set(due_later.values_list("offering", flat=True)) == set(offerings.values_list("pk", flat=True))
    assert set(due_before.values_list("offering", flat=True)) == set(offerings.values_list("pk", flat=True))
    assert set(Assignment.objects.values_list("hand_in", flat=True)) == set(HandIn)
    scheduled = Assignment.objects.filter(published_at__isnull=True)
    assert scheduled.exists()
    assert not scheduled.exclude(publish_at__gt=now).exists()
    # Every state a student's list shows is there.
    submissions = {(s.assignment_id, s.student_id): s for s in Submission.objects.all()}
    states = Counter()
    for assignment in Assignment.objects.published(now).prefetch_related("offering__section__enrollments"):
        for enrollment in assignment.offering.section.enrollments.all():
            states[work_state(assignment, submissions.get((assignment.pk, enrollment.student_id)), now)] += 1
    assert set(states) == set(WorkState)
    assert states[WorkState.MARKED] > states[WorkState.MISSING] > 0
    # Nothing the seed wrote is owed to the queue: the demo does not notify its families of last week.
    assert assignments_notices_due(now=timezone.now()) == []
    assert returns_notices_due(now=timezone.now()) == []


def test_it_returns_the_gradebooks_homework_with_its_marks():
    returned = Submission.objects.filter(returned_at__isnull=False).select_related("assignment__assessment")
    assert returned.count() > 1_000
    marks = {
        (m.assessment_id, m.student_id): m
        for m in Mark.objects.filter(assessment__assignment__isnull=False, score__isnull=False)
    }
    for submission in returned:
        assessment = submission.assignment.assessment
        assert assessment.published_at == submission.returned_at
        assert assessment.name == submission.assignment.title
        assert marks[(assessment.pk, submission.student_id)].score == submission.raw_score
        assert submission.feedback
        assert submission.submitted_at < submission.assignment.due_at
    # Work not yet returned has no gradebook mark, even when the teacher has started marking it.
    drafts = Submission.objects.filter(returned_at__isnull=True, raw_score__isnull=False)
    assert drafts.exists()
    for draft in drafts.select_related("assignment"):
        mark = Mark.objects.filter(assessment=draft.assignment.assessment_id, student=draft.student_id)
        assert not mark.exists()


def test_it_stores_the_essays_as_real_text_files():
    files = list(SubmissionFile.objects.select_related("submission__assignment")[:60])
    assert len(files) == 60
    for stored in files:
        assert stored.submission.assignment.hand_in == HandIn.FILE
        assert stored.file.name.startswith("submissions/submissionfile/")
        assert stored.name.endswith(".txt")
        with default_storage.open(stored.file.name) as handle:
            data = handle.read()
        assert len(data) == stored.size
        assert hashlib.sha256(data).hexdigest() == stored.sha256
        assert len(data.decode().split()) > 300


def test_it_copies_an_essay_in_each_essay_class_and_the_check_flags_the_pair():
    threshold = HomeworkPolicy.current().similarity_flag_percent
    essays = Assignment.objects.filter(hand_in=HandIn.FILE, due_at__lt=moment()).order_by("pk")
    assert essays.count() >= 2
    assignment = essays.first()
    result = similarity_check(assignment=assignment)
    assert result.compared > 15
    flagged = Submission.objects.filter(assignment=assignment, similarity_percent__gte=threshold)
    assert flagged.count() == 2  # the pair copied from each other, and nobody else
    first, second = flagged.order_by("pk")
    match = assignment.matches.get(submission=first, other=second)
    assert match.percent >= threshold
    assert match.passages


def test_the_demo_student_and_parent_see_their_homework(client):
    assert client.login(email=STUDENT_EMAIL, password=DEMO_PASSWORD)
    page = client.get(reverse("assignments:student_list")).content.decode()
    student = Student.objects.get(user__email=STUDENT_EMAIL)
    titles = set(
        Assignment.objects.published(timezone.now())
        .filter(offering__section__enrollments__student=student)
        .values_list("title", flat=True)
    )
    assert titles
    assert any(title in page for title in titles)
    parent = NotificationPreference.objects.get(user__email=PARENT_EMAIL, kind="missing_work")
    assert parent.in_app
    assert parent.email


def test_the_demo_teacher_opens_an_inbox_of_hand_ins(client):
    assert client.login(email=TEACHER_EMAIL, password=DEMO_PASSWORD)
    assignment = (
        Assignment.objects.filter(offering__teacher__user__email=TEACHER_EMAIL, due_at__lt=moment())
        .annotate(n=Count("submissions"))
        .filter(n__gt=0)
        .first()
    )
    response = client.get(reverse("assignments:inbox", args=[assignment.pk]))
    assert response.status_code == 200
    first = assignment.submissions.select_related("student").first()
    assert first.student.last_name in response.content.decode()


def test_the_demo_teachers_work_to_mark_is_checked_with_the_copied_pair_flagged():
    threshold = HomeworkPolicy.current().similarity_flag_percent
    mine = Assignment.objects.filter(
        offering__teacher__user__email=TEACHER_EMAIL,
        due_at__lt=moment(),
        assessment__published_at__isnull=True,
        hand_in=HandIn.FILE,
    )
    assert mine.exists()
    for assignment in mine:
        assert assignment.checked_at is not None
        flagged = assignment.submissions.filter(similarity_percent__gte=threshold)
        assert flagged.count() == 2, assignment
