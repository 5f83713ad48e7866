"""Generating on the queue, through the pages: the timetables list, the generate button, the progress page,
one generation at a time, generating the rest again keeping locked lessons."""

from __future__ import annotations

import pytest
from django.urls import reverse

from modules.core.models import Job, JobStatus
from modules.timetable.generating import JOB_KIND, timetable_generate_run
from modules.timetable.models import Outcome, Requirement, Timetable, TimetableStatus
from tests.timetable.drafts_school import hand_made_draft, small_school

pytestmark = pytest.mark.django_db

LIST = "timetable:timetables"


def test_it_generates_a_draft_on_the_queue_and_shows_its_progress(
    school, admin, as_user, django_capture_on_commit_callbacks
):
    small = small_school(school)
    client = as_user(admin)
    assert "Generate a timetable" in client.get(reverse(LIST)).text

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("timetable:timetable_generate"), {"name": "Autumn draft"})

    job = Job.objects.get(kind=JOB_KIND)
    assert response["Location"] == reverse("timetable:generation", args=[job.pk])
    assert job.status == JobStatus.SUCCEEDED
    timetable = Timetable.objects.get(name="Autumn draft")
    assert timetable.status == TimetableStatus.DRAFT
    assert timetable.outcome == Outcome.COMPLETE
    assert timetable.job == job
    assert timetable.lessons.placed().count() == small.lesson_count
    page = client.get(response["Location"])
    assert "Every lesson was placed." in page.text
    assert "Review the timetable" in page.text
    review = client.get(reverse("timetable:timetable", args=[timetable.pk]))
    assert review.status_code == 200
    assert "Soft score" in review.text


def test_it_refuses_to_generate_twice_at_once(school, admin, as_user, django_capture_on_commit_callbacks):
    small_school(school)
    client = as_user(admin)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("timetable:timetable_generate"), {"name": "First"})
    assert Timetable.objects.get(name="First").status == TimetableStatus.GENERATING

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("timetable:timetable_generate"), {"name": "Second"}, follow=True)

    assert "A timetable is being generated already: First." in response.text
    assert not Timetable.objects.filter(name="Second").exists()
    assert Job.objects.filter(kind=JOB_KIND).count() == 1
    progress = client.get(reverse("timetable:generation", args=[Job.objects.get().pk]))
    assert 'hx-trigger="every 1s"' in progress.text


def test_it_lets_a_new_generation_start_once_a_lost_one_was_given_up(
    school, admin, as_user, django_capture_on_commit_callbacks
):
    small_school(school)
    client = as_user(admin)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("timetable:timetable_generate"), {"name": "Lost"})
    Job.objects.update(status=JobStatus.FAILED, message="The worker was stopped.")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("timetable:timetable_generate"), {"name": "Again"})

    assert Timetable.objects.get(name="Lost").status == TimetableStatus.DRAFT
    assert Timetable.objects.get(name="Again").outcome == Outcome.COMPLETE


def test_it_generates_the_rest_again_keeping_locked_lessons(
    school, admin, as_user, django_capture_on_commit_callbacks
):
    draft = hand_made_draft(school)
    draft.timetable.lessons.exclude(pk=draft.maths.pk).delete()
    draft.timetable.lessons.filter(pk=draft.maths.pk).update(locked=True)
    client = as_user(admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("timetable:timetable_regenerate", args=[draft.timetable.pk]),
            {"version": draft.timetable.version},
        )

    assert response.status_code == 302
    draft.timetable.refresh_from_db()
    assert draft.timetable.status == TimetableStatus.DRAFT
    assert draft.timetable.outcome == Outcome.COMPLETE
    lessons = list(draft.timetable.lessons.all())
    assert len(lessons) == draft.small.lesson_count
    kept = [lesson for lesson in lessons if lesson.pk == draft.maths.pk]
    assert len(kept) == 1
    assert kept[0].locked
    assert (kept[0].weekday, kept[0].period_id) == (0, draft.small.periods[0].pk)
    assert sum(1 for lesson in lessons if lesson.offering_id == draft.small.maths.pk) == 3


def test_it_shows_why_the_requirements_cannot_hold(
    school, admin, as_user, django_capture_on_commit_callbacks
):
    small_school(school)
    Requirement.objects.filter(offering=school.offering).update(periods_per_week=20, double_lessons=0)
    client = as_user(admin)
    page = client.get(reverse(LIST))
    assert "The requirements contradict each other:" in page.text  # the precheck, before generating

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("timetable:timetable_generate"), {"name": "Too much"})

    timetable = Timetable.objects.get(name="Too much")
    assert timetable.outcome == Outcome.INFEASIBLE
    review = client.get(reverse("timetable:timetable", args=[timetable.pk]))
    assert "Why it cannot be done" in review.text


def test_it_runs_a_job_twice_without_two_timetables(school, admin, django_capture_on_commit_callbacks):
    from modules.timetable.generating import timetable_generate_start

    small = small_school(school)
    with django_capture_on_commit_callbacks(execute=False):
        job = timetable_generate_start(year=school.year, user=admin, name="Twice")
    timetable_generate_run(job=job)
    Timetable.objects.filter(name="Twice").update(status=TimetableStatus.GENERATING)
    timetable_generate_run(job=job)

    timetable = Timetable.objects.get(name="Twice")
    assert timetable.lessons.count() == small.lesson_count


def test_it_lets_only_the_office_generate(school, admin, teacher, as_user):
    assert as_user(teacher).get(reverse(LIST)).status_code == 403
    assert as_user(teacher).post(reverse("timetable:timetable_generate")).status_code == 403
    assert as_user(admin).get(reverse("timetable:timetable_generate")).status_code == 405
    assert as_user(admin).get(reverse("timetable:timetable", args=[999999])).status_code == 404


def test_it_keeps_the_drafts_lessons_when_generating_again_cannot_be_done(
    school, admin, as_user, django_capture_on_commit_callbacks
):
    draft = hand_made_draft(school)
    Requirement.objects.filter(offering=school.offering).update(periods_per_week=20, double_lessons=0)

    with django_capture_on_commit_callbacks(execute=True):
        as_user(admin).post(
            reverse("timetable:timetable_regenerate", args=[draft.timetable.pk]),
            {"version": draft.timetable.version},
        )

    draft.timetable.refresh_from_db()
    assert draft.timetable.status == TimetableStatus.DRAFT
    assert draft.timetable.outcome == Outcome.INFEASIBLE
    assert draft.timetable.lessons.count() == 4
    review = as_user(admin).get(reverse("timetable:timetable", args=[draft.timetable.pk]))
    assert "Why it cannot be done" in review.text
    assert "7A has 22 lessons" in review.text


def test_it_refuses_to_generate_again_from_a_stale_page(school, admin, as_user):
    draft = hand_made_draft(school)

    response = as_user(admin).post(
        reverse("timetable:timetable_regenerate", args=[draft.timetable.pk]),
        {"version": draft.timetable.version - 1 or 99},
        follow=True,
    )

    assert "Someone changed this timetable since you opened the page" in response.text
    assert not Job.objects.exists()


def test_it_gives_back_a_draft_whose_generation_was_given_up(
    school, admin, as_user, django_capture_on_commit_callbacks
):
    draft = hand_made_draft(school)
    client = as_user(admin)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(
            reverse("timetable:timetable_regenerate", args=[draft.timetable.pk]),
            {"version": draft.timetable.version},
        )
    draft.timetable.refresh_from_db()
    assert draft.timetable.status == TimetableStatus.GENERATING
    assert (
        "This timetable is being generated."
        in client.get(reverse("timetable:timetable", args=[draft.timetable.pk])).text
    )
    Job.objects.update(status=JobStatus.FAILED, message="The job stopped 3 times before it finished.")

    page = client.get(reverse("timetable:timetable", args=[draft.timetable.pk]))

    assert "This timetable is being generated." not in page.text
    draft.timetable.refresh_from_db()
    assert draft.timetable.status == TimetableStatus.DRAFT
    assert draft.timetable.lessons.count() == 4


def test_it_makes_next_years_timetable_before_the_year_starts(
    school, admin, as_user, django_capture_on_commit_callbacks
):
    import datetime

    from modules.academics.models import AcademicYear

    small_school(school)
    start = school.year.end_date + datetime.timedelta(days=30)
    next_year = AcademicYear.objects.create(
        name="Next year", start_date=start, end_date=start + datetime.timedelta(days=300)
    )
    client = as_user(admin)
    page = client.get(reverse(LIST), {"year": next_year.pk})
    assert page.context["year"] == next_year
    assert "No timetable yet" in page.text

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("timetable:timetable_generate"), {"name": "Next", "year": next_year.pk})

    assert Timetable.objects.get(name="Next").year == next_year
    assert client.get(reverse(LIST), {"year": 999999}).status_code == 404


def test_it_sends_only_the_progress_to_the_pages_polling(
    school, admin, as_user, django_capture_on_commit_callbacks
):
    small_school(school)
    client = as_user(admin)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("timetable:timetable_generate"), {"name": "Polled"})
    job = Job.objects.get()
    url = reverse("timetable:generation", args=[job.pk])

    fragment = client.get(url, headers={"HX-Request": "true"})
    listing = client.get(reverse(LIST))

    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="job-progress"')
    assert "<html" not in fragment.text
    assert "HX-Request" in fragment["Vary"]
    assert "Polled is being generated; one generation at a time." in listing.text
    assert url in listing.text
