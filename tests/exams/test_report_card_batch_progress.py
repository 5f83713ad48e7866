"""The office's report-card batch as it runs and what it hands back: progress that moves with the cards
(stage by stage, the merge last), the term list in calendar order with the current term chosen, and a
file name that says which term and which section or grade."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from modules.core.models import Job, JobStatus
from modules.exams import report_cards
from tests import factories as f
from tests.exams.test_report_card_fixtures import pdf_pages
from tests.reauth import reauthenticate

URL = reverse("exams:report_card_batch")
pytestmark = pytest.mark.django_db


def _classmates(school, count: int) -> None:
    for n in range(count):
        f.EnrollmentFactory(
            student=f.StudentFactory(first_name=f"Pupil{n}", last_name="Class"), section=school.section
        )


def _print(client, callbacks, data: dict) -> Job:
    with callbacks(execute=True):  # the queue runs the job here, in this process (Huey's immediate mode)
        response = reauthenticate(client).post(URL, data)
    assert response.status_code == 302, response.content[:500]
    return Job.objects.get(kind=report_cards.JOB_KIND)


def test_it_moves_the_progress_with_the_cards_and_shows_the_merge_last(
    school, admin, as_user, django_capture_on_commit_callbacks, settings, monkeypatch
):
    settings.STUDENTFLOW_REPORT_CARD_PART_SIZE = 2
    _classmates(school, 5)  # 6 cards in 7A: three parts of two
    client = as_user(admin)
    seen: list[tuple[int, int, str]] = []
    pages: list[str] = []
    record = Job.set_progress

    def observed(job, done, total=None, **fields):
        record(job, done, total, **fields)
        seen.append((job.done, job.total, job.message))
        # What the office's page shows at this moment (the fragment it polls every second).
        fragment = client.get(reverse("job_progress", args=[job.pk]), headers={"HX-Request": "true"})
        pages.append(" ".join(fragment.text.split()))

    monkeypatch.setattr(Job, "set_progress", observed)
    job = _print(
        client, django_capture_on_commit_callbacks, {"term": school.term.pk, "sections": [school.section.pk]}
    )

    assert seen[0] == (0, 0, "Gathering the marks, comments and attendance…")
    assert [(done, total) for done, total, message in seen[1:]] == [(0, 6), (2, 6), (4, 6), (6, 6), (6, 6)]
    assert {message for _done, _total, message in seen[1:5]} == {"Laying out the cards…"}
    assert seen[-1][2] == "6 cards laid out; putting them into one PDF…"
    assert "Gathering the marks" in pages[0]
    assert "2 of 6 done (33%)" in pages[2]
    assert "4 of 6 done (66%)" in pages[3]
    assert "putting them into one PDF" in pages[-1]
    assert "Download" not in pages[-1]
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.message == "6 report cards in one PDF."
    finished = client.get(reverse("job_progress", args=[job.pk])).text
    assert reverse("job_download", args=[job.pk]) in finished
    assert len(pdf_pages(job.result_file.read())) == 6


def test_a_big_batch_reports_about_ten_steps_and_ends_in_smaller_parts(settings):
    settings.STUDENTFLOW_REPORT_CARD_PART_SIZE = 20
    chunks = report_cards._chunks([object()] * 75)
    sizes = [end - start for start, end in chunks]
    assert [start for start, _end in chunks] == [0, *[end for _start, end in chunks[:-1]]]  # contiguous
    assert chunks[-1][1] == 75
    # Parts of 8 (or 7: as even as can be), then the last 16 cards in parts of 4, so that two workers
    # finish together.
    assert sizes == [8, 8, 8, 7, 7, 7, 7, 7, 4, 4, 4, 4]
    big = [end - start for start, end in report_cards._chunks([object()] * 400)]
    assert max(big) == 20  # never more than the part size
    assert big[-8:] == [5] * 8  # and a tail of fives
    assert report_cards._chunks([object()] * 30) == [(n, n + 5) for n in range(0, 30, 5)]  # one class: 6 × 5
    assert report_cards._chunks([object()] * 3) == [(0, 3)]


def test_it_names_the_file_after_the_term_and_the_section(
    school, admin, as_user, django_capture_on_commit_callbacks
):
    client = as_user(admin)
    job = _print(
        client, django_capture_on_commit_callbacks, {"term": school.term.pk, "sections": [school.section.pk]}
    )
    year = school.year.name.replace("/", "-")  # e.g. 2026/2027 → 2026-2027
    assert job.result["filename"] == f"report-cards-term-1-{year}-7a.pdf"
    download = client.get(reverse("job_download", args=[job.pk]))
    assert download["Content-Disposition"] == f'attachment; filename="report-cards-term-1-{year}-7a.pdf"'


def test_it_names_the_file_after_the_grade_when_the_whole_grade_is_printed(
    school, admin, as_user, django_capture_on_commit_callbacks
):
    job = _print(
        as_user(admin),
        django_capture_on_commit_callbacks,
        {"term": school.term.pk, "grade_level": school.section.grade_level_id},
    )
    year = school.year.name.replace("/", "-")
    assert job.result["filename"] == f"report-cards-term-1-{year}-grade-7.pdf"


def test_a_name_in_another_script_keeps_its_letters_with_an_ascii_fallback(school, admin, as_user):
    school.term.name = "Trimestre 1 – été"
    school.term.save()
    school.child.first_name, school.child.last_name = "Зоя", "Müller"
    school.child.save()
    response = as_user(admin).get(reverse("exams:report_card", args=[school.child.pk, school.term.pk]))
    year = school.year.name.replace("/", "-")
    disposition = response["Content-Disposition"]
    ascii_name = f"report-card-a-0001-muller-trimestre-1-ete-{year}.pdf"
    utf8_name = f"report-card-a-0001-%D0%B7%D0%BE%D1%8F-m%C3%BCller-trimestre-1-%C3%A9t%C3%A9-{year}.pdf"
    assert disposition == f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{utf8_name}"


# --- the choice of term ------------------------------------------------------------------------------


def _term_options(html: str) -> list[tuple[str, bool]]:
    select = re.search(r'<select name="term".*?</select>', html, re.S).group(0)
    return [
        (label.strip(), "selected" in attrs)
        for attrs, label in re.findall(r"<option value=\"\d+\"([^>]*)>([^<]*)</option>", select)
    ]


def test_the_terms_are_in_calendar_order_with_the_current_one_chosen(school, admin, as_user):
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    school.term.start_date, school.term.end_date = today - 60 * day, today - 11 * day
    school.term.save()
    # Created out of order: the list follows the calendar, not the order of entry.
    third = f.TermFactory(
        year=school.year, name="Term 3", start_date=today + 31 * day, end_date=today + 90 * day
    )
    second = f.TermFactory(
        year=school.year, name="Term 2", start_date=today - 10 * day, end_date=today + 30 * day
    )
    last_year = f.AcademicYearFactory(
        name="Last year", start_date=today - 500 * day, end_date=today - 100 * day, is_current=False
    )
    old = f.TermFactory(
        year=last_year, name="Term 3", start_date=today - 200 * day, end_date=today - 101 * day
    )
    client = as_user(admin)

    options = _term_options(client.get(URL).text)
    assert [label for label, _chosen in options] == [str(old), str(school.term), str(second), str(third)]
    assert [label for label, chosen in options if chosen] == [str(second)]

    # Between terms (the holiday after term 2): the latest term that has started stays chosen.
    second.end_date = today - 1 * day
    second.save()
    options = _term_options(client.get(URL).text)
    assert [label for label, chosen in options if chosen] == [str(second)]
