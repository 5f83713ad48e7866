"""The similarity pages through HTTP: an assignment's results, checking it now (a Job with progress), one pair
side by side, and the inbox's similarity cell."""

from __future__ import annotations

import datetime
import html
import json

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from modules.assignments.models import HandIn, HomeworkPolicy, SimilarityMatch, Submission
from modules.assignments.similarity_checks import JOB_KIND, similarity_check
from modules.core.models import Job, JobStatus
from tests import factories as f
from tests.assignments.similarity_service import FakeSimilarityService, similarity_service
from tests.assignments.similarity_texts import EDITED_COPY, ESSAY, INSTRUCTIONS, PASSAGE, SCIENCE_ESSAY


@pytest.fixture
def essay(school):
    now = timezone.now()
    return f.AssignmentFactory(
        offering=school.offering,
        term=school.term,
        title="The French Revolution",
        instructions=INSTRUCTIONS,
        opens_at=now - datetime.timedelta(days=8),
        due_at=now - datetime.timedelta(days=1),
    )


@pytest.fixture
def copied(essay, school):
    """Sam wrote the essay, Casey handed in an edited copy, Robin wrote about plants; checked."""
    sam = f.SubmissionFactory(assignment=essay, student=school.child, text=ESSAY)
    casey = f.SubmissionFactory(
        assignment=essay, student=f.StudentFactory(first_name="Casey", last_name="Copy"), text=EDITED_COPY
    )
    robin = f.SubmissionFactory(
        assignment=essay, student=f.StudentFactory(first_name="Robin", last_name="Own"), text=SCIENCE_ESSAY
    )
    similarity_check(assignment=essay)
    return sam, casey, robin


def results_url(assignment) -> str:
    return reverse("assignments:similarity", args=[assignment.pk])


def test_it_lists_each_pair_once_flagged_over_the_threshold(as_user, teacher, essay, copied, queries_exactly):
    sam, casey, _robin = copied
    client = as_user(teacher)
    client.get(results_url(essay))  # the session and the policy row exist
    with queries_exactly(8):
        response = client.get(results_url(essay))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    pairs = response.context["pairs"]
    assert len(pairs) == 1
    text = response.content.decode()
    assert "Flagged" in text
    assert "Casey Copy" in text
    assert "Sam Parent" in text
    assert "Robin Own" not in text  # no match: not listed
    assert reverse("assignments:similarity_pair", args=[essay.pk, pairs[0].pk]) in text
    assert "Check again now" in text


def test_its_query_count_does_not_grow_with_the_pairs(as_user, teacher, essay, copied, queries_exactly):
    for number in range(4):
        f.SubmissionFactory(assignment=essay, text=ESSAY + f" Copy number {number}.")
    similarity_check(assignment=essay)
    client = as_user(teacher)
    client.get(results_url(essay))
    with queries_exactly(8):
        response = client.get(results_url(essay))
    assert len(response.context["pairs"]) == 15  # six hand-ins of one essay, every pair once


def test_it_shows_one_hand_in_s_pairs_from_the_inbox_link(as_user, teacher, essay, copied):
    sam, casey, robin = copied
    response = as_user(teacher).get(results_url(essay), {"submission": casey.pk})
    assert response.context["focus"] == casey
    assert [(m.submission, m.other) for m in response.context["pairs"]] == [(casey, sam)]
    assert "Showing the pairs of Casey Copy" in response.content.decode()
    response = as_user(teacher).get(results_url(essay), {"submission": robin.pk})
    assert response.context["pairs"] == []


def test_it_lists_hand_ins_too_short_to_compare(as_user, teacher, essay):
    f.SubmissionFactory(
        assignment=essay, student=f.StudentFactory(first_name="Sky", last_name="Short"), text="Yes."
    )
    similarity_check(assignment=essay)
    text = as_user(teacher).get(results_url(essay)).content.decode()
    assert "Not compared" in text
    assert "Sky Short" in text


def test_it_says_when_nothing_was_checked_yet_and_when_the_work_is_on_paper(as_user, teacher, essay, school):
    text = as_user(teacher).get(results_url(essay)).content.decode()
    assert "Not checked yet" in text
    paper = f.AssignmentFactory(offering=school.offering, term=school.term, hand_in=HandIn.PAPER)
    text = as_user(teacher).get(results_url(paper)).content.decode()
    assert "handed in on paper" in text


def test_another_teacher_does_not_know_the_results_exist(as_user, other_teacher, essay, copied):
    match = SimilarityMatch.objects.first()
    assert as_user(other_teacher).get(results_url(essay)).status_code == 404
    pair = reverse("assignments:similarity_pair", args=[essay.pk, match.pk])
    assert as_user(other_teacher).get(pair).status_code == 404


@pytest.mark.parametrize("persona", ["student", "guardian", "bursar"])
def test_families_and_the_bursar_are_refused(as_user, essay, copied, persona, request):
    user = request.getfixturevalue(persona)
    assert as_user(user).get(results_url(essay)).status_code == 403
    url = reverse("assignments:similarity_check", args=[essay.pk])
    assert as_user(user).post(url).status_code == 403


def test_the_check_wants_a_post(as_user, teacher, essay):
    url = reverse("assignments:similarity_check", args=[essay.pk])
    assert as_user(teacher).get(url).status_code == 405
    assert as_user(teacher).post(results_url(essay)).status_code == 405


# ---------------------------------------------------------------------------------------- checking now


def test_checking_now_runs_on_the_queue_with_progress(
    as_user, teacher, essay, school, django_capture_on_commit_callbacks
):
    f.SubmissionFactory(assignment=essay, student=school.child, text=ESSAY)
    f.SubmissionFactory(assignment=essay, text=EDITED_COPY)
    client = as_user(teacher)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("assignments:similarity_check", args=[essay.pk]))
    assert response.status_code == 302
    assert response["Location"] == results_url(essay)
    job = Job.objects.get(kind=JOB_KIND)
    assert (job.owner, job.status, job.payload) == (teacher, JobStatus.QUEUED, {"assignment": essay.pk})

    text = client.get(results_url(essay)).content.decode()
    assert "Checking… waiting for the queue" in text
    assert 'hx-trigger="every 1s"' in text

    callbacks[0]()  # the queue runs the check
    response = client.get(results_url(essay), headers={"HX-Request": "true"})
    text = response.content.decode()
    assert "<html" not in text  # the polled fragment
    assert "hx-trigger" not in text  # finished: polling stops
    assert "Flagged" in text
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED


def test_checking_from_the_page_with_htmx_answers_the_fragment(
    as_user, teacher, essay, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        response = as_user(teacher).post(
            reverse("assignments:similarity_check", args=[essay.pk]), headers={"HX-Request": "true"}
        )
    text = response.content.decode()
    assert response.status_code == 200
    assert text.lstrip().startswith('<div id="similarity-results"')
    assert 'hx-trigger="every 1s"' in text


def test_a_failing_service_is_shown_on_the_page(as_user, teacher, essay, django_capture_on_commit_callbacks):
    f.SubmissionFactory(assignment=essay, text=ESSAY)
    refusing = FakeSimilarityService(answer=lambda request: (502, b"<b>Bad gateway</b>"))
    with similarity_service(refusing) as service:
        HomeworkPolicy.current()
        HomeworkPolicy.objects.filter(pk=1).update(similarity_service_url=service.url)
        with django_capture_on_commit_callbacks(execute=True):
            as_user(teacher).post(reverse("assignments:similarity_check", args=[essay.pk]))
    text = as_user(teacher).get(results_url(essay)).content.decode()
    message = "The similarity service (127.0.0.1) refused the check: HTTP 502."
    assert html.escape(f"The check you asked for failed: {message}") in text
    assert html.escape(f"The last check failed: {message}") in text
    assert "an external service" in text


# --------------------------------------------------------------------------------------- side by side


def test_the_pair_shows_both_texts_with_the_shared_passages_marked(as_user, teacher, essay, copied):
    sam, casey, _robin = copied
    match = SimilarityMatch.objects.get(submission=sam, other=casey)
    response = as_user(teacher).get(reverse("assignments:similarity_pair", args=[essay.pk, match.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Sam Parent" in text
    assert "Casey Copy" in text
    assert text.count('<mark id="a-') == text.count('<mark id="b-') == len(match.passages) >= 2
    left = response.context["left_segments"]
    marked = "".join(segment.text for segment in left if segment.passage)
    assert PASSAGE in marked
    assert "".join(segment.text for segment in left) == ESSAY  # nothing lost, nothing added
    assert "into the street" not in marked  # Sam's own conclusion


def test_the_pair_escapes_the_texts(as_user, teacher, essay, school):
    hostile = "<script>alert('copied')</script> " + ESSAY
    mine = f.SubmissionFactory(assignment=essay, student=school.child, text=hostile)
    f.SubmissionFactory(assignment=essay, text=hostile)
    similarity_check(assignment=essay)
    match = SimilarityMatch.objects.get(submission=mine)
    text = (
        as_user(teacher)
        .get(reverse("assignments:similarity_pair", args=[essay.pk, match.pk]))
        .content.decode()
    )
    assert "<script>alert" not in text
    assert "&lt;<mark" in text  # the passage starts at the first word
    assert "script&gt;alert(&#x27;copied&#x27;)&lt;/script&gt;" in text


def test_the_other_class_s_student_stays_anonymous(as_user, teacher, other_teacher, essay, school):
    sibling = f.AssignmentFactory(lineage=essay.lineage, offering=school.other_offering, term=school.term)
    f.SubmissionFactory(assignment=sibling, student=school.other_child, text=EDITED_COPY)
    mine = f.SubmissionFactory(assignment=essay, student=school.child, text=ESSAY)
    similarity_check(assignment=essay)
    match = SimilarityMatch.objects.get(submission=mine)
    text = (
        as_user(teacher)
        .get(reverse("assignments:similarity_pair", args=[essay.pk, match.pk]))
        .content.decode()
    )
    assert "Olive Elsewhere" not in text
    assert f"A hand-in of 7B, {school.year.name}" in text
    assert "the crown could no longer pay" in text  # the text itself is shown


def test_a_match_of_another_assignment_is_not_found_through_this_one(as_user, teacher, essay, copied, school):
    elsewhere = f.AssignmentFactory(offering=school.offering, term=school.term)
    match = SimilarityMatch.objects.first()
    url = reverse("assignments:similarity_pair", args=[elsewhere.pk, match.pk])
    assert as_user(teacher).get(url).status_code == 404


def test_the_pair_says_when_a_hand_in_was_replaced_since_the_check(as_user, teacher, essay, copied):
    sam, casey, _robin = copied
    Submission.objects.filter(pk=casey.pk).update(text="Something new", version=2)
    match = SimilarityMatch.objects.get(submission=sam, other=casey)
    text = (
        as_user(teacher)
        .get(reverse("assignments:similarity_pair", args=[essay.pk, match.pk]))
        .content.decode()
    )
    assert "was replaced since this check" in text


# ------------------------------------------------------------------------------------------- the cell


def render_cell(submission, assignment, user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    template = Template('{% include "assignments/_similarity_cell.html" with submission=submission %}')
    return template.render(Context({"submission": submission, "assignment": assignment, "request": request}))


def test_the_cell_flags_a_hand_in_over_the_threshold_and_links_to_its_pairs(essay, copied, teacher):
    sam, _casey, robin = copied
    sam.refresh_from_db()
    robin.refresh_from_db()
    essay.refresh_from_db()
    cell = render_cell(sam, essay, teacher)
    assert "bi-flag-fill" in cell
    assert f"{sam.similarity_percent:.0f}% similar" in cell
    assert f'href="{results_url(essay)}?submission={sam.pk}"' in cell
    assert render_cell(robin, essay, teacher).strip() == '<span class="text-body-secondary">0%</span>'


def test_the_cell_follows_the_school_s_threshold(essay, copied, teacher, django_assert_num_queries):
    sam, _casey, _robin = copied
    sam.refresh_from_db()
    HomeworkPolicy.objects.filter(pk=1).update(similarity_flag_percent=100)
    with django_assert_num_queries(1):  # the policy, once
        cell = render_cell(sam, essay, teacher)
    assert "bi-flag-fill" not in cell
    assert f"{sam.similarity_percent:.0f}%" in cell


def test_the_cell_says_too_short_or_not_checked(essay, teacher):
    short = f.SubmissionFactory(assignment=essay, text="Yes.")
    assert "Not checked" in render_cell(short, essay, teacher)
    similarity_check(assignment=essay)
    short.refresh_from_db()
    essay.refresh_from_db()
    assert "Too short" in render_cell(short, essay, teacher)


def test_the_pair_page_lists_the_passages(as_user, teacher, essay, copied):
    sam, casey, _robin = copied
    match = SimilarityMatch.objects.get(submission=sam, other=casey)
    response = as_user(teacher).get(reverse("assignments:similarity_pair", args=[essay.pk, match.pk]))
    assert [p["number"] for p in response.context["passages"]] == list(range(1, len(match.passages) + 1))
    assert json.dumps(match.passages)  # stored as plain JSON


def test_the_pair_page_s_query_count_is_pinned(as_user, teacher, essay, copied, queries_exactly):
    sam, casey, _robin = copied
    match = SimilarityMatch.objects.get(submission=sam, other=casey)
    client = as_user(teacher)
    url = reverse("assignments:similarity_pair", args=[essay.pk, match.pk])
    client.get(url)
    with queries_exactly(6):
        assert client.get(url).status_code == 200


def test_files_that_could_not_be_read_are_named_on_the_page(
    as_user, teacher, essay, school, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile

    from modules.assignments.models import SubmissionFile

    broken = f.SubmissionFactory(assignment=essay, student=school.child, text="")
    SubmissionFile.objects.create(
        submission=broken,
        version=broken.version,
        file=ContentFile(b"PK\x03\x04 not really a document", name="essay.docx"),
        name="my essay.docx",
        size=30,
        sha256="0" * 64,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    with django_capture_on_commit_callbacks(execute=True):
        as_user(teacher).post(reverse("assignments:similarity_check", args=[essay.pk]))
    text = as_user(teacher).get(results_url(essay)).content.decode()
    assert "Some files could not be read in full:" in text
    assert "my essay.docx could not be read: it is damaged." in text
    assert "Sam Parent" in text  # listed as not compared


def test_the_office_finds_the_policy_in_its_menu(as_user, admin):
    assert 'href="/homework/policy/"' in as_user(admin).get("/").content.decode()


def test_the_cell_of_work_on_paper_says_nothing_to_compare(school, teacher):
    paper = f.AssignmentFactory(offering=school.offering, term=school.term, hand_in=HandIn.PAPER)
    received = f.SubmissionFactory(assignment=paper, text="")
    cell = render_cell(received, paper, teacher)
    assert "on paper: not compared" in cell
    assert "Not checked" not in cell


def test_a_failed_request_is_no_news_once_a_later_check_succeeded(
    as_user, teacher, essay, django_capture_on_commit_callbacks
):
    from tests.fakes import free_port

    f.SubmissionFactory(assignment=essay, text=ESSAY)
    HomeworkPolicy.current()
    HomeworkPolicy.objects.filter(pk=1).update(similarity_service_url=f"http://127.0.0.1:{free_port()}/x")
    with django_capture_on_commit_callbacks(execute=True):
        as_user(teacher).post(reverse("assignments:similarity_check", args=[essay.pk]))
    assert "The check you asked for failed" in as_user(teacher).get(results_url(essay)).content.decode()
    HomeworkPolicy.objects.filter(pk=1).update(similarity_service_url="")
    similarity_check(assignment=essay)  # the sweep, later, with the portal's own engine
    text = as_user(teacher).get(results_url(essay)).content.decode()
    assert "failed" not in text
