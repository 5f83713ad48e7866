"""The similarity check of an assignment (modules/assignments/similarity_checks.py) and its queue
(tasks/assignments_similarity.py): the lineage's hand-ins read, compared, the matches written; run twice;
the sweep after the due time; the check asked for as a Job."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from modules.assignments.models import AssignmentFile, HandIn, SimilarityMatch, Submission, SubmissionFile
from modules.assignments.similarity_checks import (
    JOB_KIND,
    similarity_check,
    similarity_due,
    similarity_job_start,
)
from modules.core.models import Job, JobStatus
from tasks.assignments_similarity import sweep_similarity_checks
from tests import factories as f
from tests.assignments.similarity_texts import (
    BORROWED,
    EDITED_COPY,
    ESSAY,
    INSTRUCTIONS,
    OTHER_ESSAY,
    SCIENCE_ESSAY,
)
from tests.assignments.test_extract import docx


@pytest.fixture
def essay(school):
    """The French Revolution essay, due yesterday in Sam's class (Mathematics 7A), with its instructions."""
    now = timezone.now()
    return f.AssignmentFactory(
        offering=school.offering,
        term=school.term,
        title="The French Revolution",
        instructions=INSTRUCTIONS,
        opens_at=now - datetime.timedelta(days=8),
        due_at=now - datetime.timedelta(days=1),
        published_at=now - datetime.timedelta(days=8),
    )


def hand_in(assignment, text, *, student=None, **fields):
    return f.SubmissionFactory(
        assignment=assignment, student=student or f.StudentFactory(), text=text, **fields
    )


def test_it_flags_a_copy_both_ways_and_leaves_an_honest_hand_in_alone(essay, school):
    sam = hand_in(essay, ESSAY, student=school.child)
    copier = hand_in(essay, EDITED_COPY)
    honest = hand_in(essay, SCIENCE_ESSAY)

    result = similarity_check(assignment=essay)

    assert (result.compared, result.pairs, result.flagged, result.provider) == (3, 2, 2, "local")
    forth = SimilarityMatch.objects.get(submission=sam, other=copier)
    back = SimilarityMatch.objects.get(submission=copier, other=sam)
    assert (forth.percent, forth.other_percent) == (back.other_percent, back.percent)
    assert forth.percent > 60
    assert forth.provider == "local"
    assert forth.passages[0]["a"][0] < forth.passages[0]["a"][1]
    for submission in (sam, copier, honest):
        submission.refresh_from_db()
    pair_score = max(forth.percent, forth.other_percent)
    assert sam.similarity_percent == copier.similarity_percent == pair_score
    assert honest.similarity_percent == Decimal("0.00")
    assert sam.extracted_text == ESSAY
    assert sam.extracted_version == sam.version
    essay.refresh_from_db()
    assert essay.checked_at is not None
    assert essay.similarity_error == ""


def test_it_writes_the_same_result_when_run_twice(essay):
    hand_in(essay, ESSAY)
    hand_in(essay, EDITED_COPY)
    similarity_check(assignment=essay)
    first = sorted(SimilarityMatch.objects.values_list("submission", "other", "percent", "other_percent"))
    similarity_check(assignment=essay)
    assert (
        sorted(SimilarityMatch.objects.values_list("submission", "other", "percent", "other_percent"))
        == first
    )
    assert len(first) == 2


def test_it_ignores_the_instructions_quoted_by_every_hand_in(essay):
    first = hand_in(essay, INSTRUCTIONS + "\n\n" + ESSAY)
    hand_in(essay, INSTRUCTIONS + "\n\n" + OTHER_ESSAY)
    similarity_check(assignment=essay)
    assert not SimilarityMatch.objects.exists()
    first.refresh_from_db()
    assert first.similarity_percent == Decimal("0.00")


def test_it_ignores_the_text_of_the_attached_files(essay):
    AssignmentFile.objects.create(
        assignment=essay,
        file=ContentFile(SCIENCE_ESSAY.encode(), name="reading.txt"),
        name="reading.txt",
        size=len(SCIENCE_ESSAY),
        sha256="0" * 64,
        content_type="text/plain",
    )
    hand_in(essay, SCIENCE_ESSAY + "\n\n" + ESSAY)
    hand_in(essay, SCIENCE_ESSAY + "\n\n" + OTHER_ESSAY)
    similarity_check(assignment=essay)
    assert not SimilarityMatch.objects.exists()
    assert AssignmentFile.objects.get().text == SCIENCE_ESSAY  # read once, kept


def test_it_reads_the_files_of_the_current_version_only(essay):
    submission = hand_in(essay, "", version=2)
    for version, text in ((1, SCIENCE_ESSAY), (2, ESSAY)):
        SubmissionFile.objects.create(
            submission=submission,
            version=version,
            file=ContentFile(docx(text.split("\n\n")), name="essay.docx"),
            name="essay.docx",
            size=1,
            sha256="0" * 64,
            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
    other = hand_in(essay, ESSAY)
    similarity_check(assignment=essay)
    submission.refresh_from_db()
    assert submission.extracted_text == ESSAY.replace("\n\n", "\n")
    assert SimilarityMatch.objects.get(submission=submission, other=other).percent == Decimal("100.00")


def test_it_compares_with_earlier_years_and_sibling_classes_of_the_lineage(essay, school):
    year = f.AcademicYearFactory(
        start_date=school.year.start_date.replace(year=school.year.start_date.year - 1), is_current=False
    )
    section = f.SectionFactory(year=year, grade_level=school.section.grade_level, name="7A")
    last_year = f.AssignmentFactory(
        lineage=essay.lineage,
        offering=f.CourseOfferingFactory(section=section, subject=school.offering.subject),
        term=f.TermFactory(year=year),
        due_at=essay.due_at - datetime.timedelta(days=365),
        opens_at=essay.due_at - datetime.timedelta(days=372),
    )
    sibling = f.AssignmentFactory(lineage=essay.lineage, offering=school.other_offering, term=school.term)
    unrelated = f.AssignmentFactory(offering=school.offering, term=school.term)
    old = hand_in(last_year, ESSAY)
    neighbour = hand_in(sibling, BORROWED)
    hand_in(unrelated, ESSAY)
    mine = hand_in(essay, EDITED_COPY)

    result = similarity_check(assignment=essay)

    assert result.against == 2  # the other class's and last year's, not an unrelated assignment's
    assert set(SimilarityMatch.objects.values_list("submission", "other")) == {
        (mine.pk, old.pk),
        (mine.pk, neighbour.pk),
    }
    assert SimilarityMatch.objects.get(other=old).assignment == essay


def test_it_leaves_short_answers_uncompared(essay):
    short = hand_in(essay, "Yes.")
    hand_in(essay, "Yes.")
    result = similarity_check(assignment=essay)
    short.refresh_from_db()
    assert short.similarity_percent is None
    assert (result.compared, result.too_short) == (0, 2)


def test_it_replaces_the_previous_result_whole(essay):
    first = hand_in(essay, ESSAY)
    second = hand_in(essay, EDITED_COPY)
    similarity_check(assignment=essay)
    Submission.objects.filter(pk=second.pk).update(text=SCIENCE_ESSAY, version=2)
    similarity_check(assignment=essay)
    assert not SimilarityMatch.objects.exists()
    first.refresh_from_db()
    assert first.similarity_percent == Decimal("0.00")


# -------------------------------------------------------------------------------------------- the sweep


def test_the_sweep_takes_assignments_due_and_not_checked_since_their_latest_hand_in(essay, school):
    now = timezone.now()
    not_due = f.AssignmentFactory(offering=school.offering, term=school.term)
    on_paper = f.AssignmentFactory(
        offering=school.offering,
        term=school.term,
        hand_in=HandIn.PAPER,
        opens_at=essay.opens_at,
        due_at=essay.due_at,
    )
    nothing_handed_in = f.AssignmentFactory(
        offering=school.offering, term=school.term, opens_at=essay.opens_at, due_at=essay.due_at
    )
    for assignment in (essay, not_due, on_paper):
        hand_in(assignment, ESSAY, submitted_at=now - datetime.timedelta(days=2))
    assert nothing_handed_in.pk not in similarity_due(now=now)
    assert similarity_due(now=now) == [essay.pk]

    similarity_check(assignment=essay)
    assert similarity_due(now=timezone.now()) == []

    hand_in(essay, EDITED_COPY, submitted_at=timezone.now() + datetime.timedelta(seconds=1), is_late=True)
    assert similarity_due(now=timezone.now() + datetime.timedelta(seconds=2)) == [essay.pk]


def test_the_periodic_sweep_checks_each_assignment_due(essay):
    hand_in(essay, ESSAY, submitted_at=timezone.now() - datetime.timedelta(days=2))
    hand_in(essay, ESSAY, submitted_at=timezone.now() - datetime.timedelta(days=2))
    sweep_similarity_checks.call_local()
    essay.refresh_from_db()
    assert essay.checked_at is not None
    assert SimilarityMatch.objects.filter(assignment=essay).count() == 2
    assert sweep_similarity_checks.call_local() == 0  # nothing left: safe to run again


# ------------------------------------------------------------------------------------------ on demand


def test_asking_twice_queues_one_check(essay, teacher, admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first = similarity_job_start(assignment=essay, by=teacher)
        second = similarity_job_start(assignment=essay, by=admin)
    assert first.pk == second.pk
    assert len(callbacks) == 1
    assert Job.objects.filter(kind=JOB_KIND).count() == 1


def test_the_job_checks_with_progress_and_keeps_the_result(
    essay, teacher, django_capture_on_commit_callbacks
):
    hand_in(essay, ESSAY)
    hand_in(essay, EDITED_COPY)
    with django_capture_on_commit_callbacks(execute=True):
        job = similarity_job_start(assignment=essay, by=teacher)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.done == job.total == 4  # two texts read, two compared
    assert job.result["pairs"] == 2
    assert job.result["flagged"] == 2
    assert SimilarityMatch.objects.filter(assignment=essay).count() == 2


def test_the_job_of_a_deleted_assignment_fails_with_a_reason(
    essay, teacher, django_capture_on_commit_callbacks
):
    from modules.assignments.similarity_checks import similarity_job_run

    job = Job.objects.create(kind=JOB_KIND, owner=teacher, payload={"assignment": essay.pk + 1000})
    assert similarity_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.message == "The assignment no longer exists."
    assert similarity_job_run(job_id=uuid.uuid4()) is False


def test_the_queued_check_keeps_a_service_s_failure_for_the_page_and_the_next_sweep(essay, caplog):
    from modules.assignments.models import HomeworkPolicy
    from tasks.assignments_similarity import run_similarity_check
    from tests.fakes import free_port

    hand_in(essay, ESSAY, submitted_at=timezone.now() - datetime.timedelta(days=2))
    HomeworkPolicy.current()
    HomeworkPolicy.objects.filter(pk=1).update(similarity_service_url=f"http://127.0.0.1:{free_port()}/x")
    run_similarity_check.call_local(essay.pk)  # does not raise: the queue would only retry it
    essay.refresh_from_db()
    assert essay.similarity_error.startswith("The similarity service (127.0.0.1) could not be reached")
    assert essay.checked_at is None
    assert similarity_due(now=timezone.now()) == [essay.pk]  # the next sweep tries again
    assert "Similarity check of assignment" in caplog.text
