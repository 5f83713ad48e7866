"""A report-card batch fanned out into parts: each part a child job rendered by its own task, merged by the
part that finishes last into ONE PDF (pages in order, duplex padding per card), and a part whose worker was
killed redone alone by the sweeper."""

from __future__ import annotations

import datetime
import logging

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from modules.core.jobs import job_children, job_claim, jobs_sweep
from modules.core.models import Job, JobStatus
from modules.exams import report_cards
from modules.exams.models import CommentKind, TermComment
from tests import factories as f
from tests.exams.test_report_card_fixtures import pdf_pages
from tests.reauth import reauthenticate

URL = reverse("exams:report_card_batch")
pytestmark = pytest.mark.django_db


def _classmates(school, count: int) -> list:
    return [
        f.EnrollmentFactory(
            student=f.StudentFactory(first_name=f"Pupil{n:02d}", last_name="Class"), section=school.section
        ).student
        for n in range(count)
    ]


def _ask(client, school, callbacks, *, execute: bool = True, **extra) -> Job:
    with callbacks(execute=execute):
        response = reauthenticate(client).post(
            URL, {"term": school.term.pk, "sections": [school.section.pk], **extra}
        )
    assert response.status_code == 302
    return Job.objects.get(kind=report_cards.JOB_KIND)


def _parts(job: Job) -> list[Job]:
    return sorted(job_children(job), key=lambda part: part.payload["index"])


def test_it_renders_each_part_as_its_own_task_and_merges_them_in_order(
    school, admin, as_user, settings, django_capture_on_commit_callbacks, caplog
):
    settings.STUDENTFLOW_REPORT_CARD_PART_SIZE = 2
    _classmates(school, 8)  # 9 cards in 7A: parts of 2, 2, 2, 2 and 1
    caplog.set_level(logging.INFO, logger="modules.exams.report_cards")
    job = _ask(as_user(admin), school, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert (job.done, job.total, job.result["pages"]) == (9, 9, 9)
    pages = pdf_pages(job.result_file.read())
    names = [f"Pupil{n:02d} Class" for n in range(8)] + ["Sam Parent"]
    assert len(pages) == 9
    assert [name in page for name, page in zip(names, pages, strict=True)] == [True] * 9
    assert [f"part {n} of 5 rendered" in caplog.text for n in range(1, 6)] == [True] * 5
    # The parts, their HTML and their PDFs are gone once merged; the job keeps only its file.
    assert not job_children(job).exists()
    assert not default_storage.listdir(f"jobs/parts/{job.pk}")[1]
    assert "building" not in job.result


def test_duplex_pads_each_card_across_parts_so_that_every_card_starts_on_an_odd_page(
    school, admin, as_user, settings, django_capture_on_commit_callbacks
):
    settings.STUDENTFLOW_REPORT_CARD_PART_SIZE = 2
    pupils = _classmates(school, 4)  # Pupil00..Pupil03, then Sam: parts of 2, 2 and 1
    for long_one in (pupils[1], pupils[2]):  # two pages each, in two different parts
        TermComment.objects.create(
            student=long_one, term=school.term, kind=CommentKind.PRINCIPAL, text="A long comment.\n" * 90
        )
    job = _ask(as_user(admin), school, django_capture_on_commit_callbacks, duplex="on")
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.message
    pages = pdf_pages(job.result_file.read())
    blank = "intentionally left blank"
    # Pupil00 + blank, Pupil01 (2 pages), Pupil02 (2 pages), Pupil03 + blank, Sam + blank.
    assert len(pages) == 10
    starts = [next(i for i, text in enumerate(pages) if f"Pupil{n:02d} Class" in text) for n in range(4)]
    starts.append(next(i for i, text in enumerate(pages) if "Sam Parent" in text))
    assert starts == [0, 2, 4, 6, 8]  # every card on an odd page (1, 3, 5, 7, 9)
    assert [i for i, text in enumerate(pages) if blank in text] == [1, 7, 9]


def _killed(part: Job) -> None:
    """As a worker killed while rendering the part leaves it: running, its lease run out."""
    Job.objects.filter(pk=part.pk).update(
        status=JobStatus.RUNNING,
        attempts=1,
        worker="gone:1:worker",
        leased_until=timezone.now() - datetime.timedelta(seconds=5),
    )


def test_a_part_whose_worker_was_killed_is_redone_alone_and_the_batch_completes(
    school, admin, as_user, settings, django_capture_on_commit_callbacks, caplog
):
    settings.STUDENTFLOW_REPORT_CARD_PART_SIZE = 2
    _classmates(school, 5)  # 6 cards: three parts of two
    client = as_user(admin)
    job = _ask(client, school, django_capture_on_commit_callbacks, execute=False)
    # The batch's own task ran and queued its parts; those tasks were lost with the worker.
    with django_capture_on_commit_callbacks(execute=False):
        assert report_cards.report_card_batch_run(job=Job.objects.get(pk=job.pk))
    first, second, third = _parts(job)
    # Two parts are rendered by a live worker; the third's worker is killed mid-render.
    caplog.set_level(logging.INFO, logger="modules.exams.report_cards")
    from tasks.report_cards import render_report_card_part

    with django_capture_on_commit_callbacks(execute=True):
        render_report_card_part.call_local(str(first.pk))
        render_report_card_part.call_local(str(third.pk))
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (JobStatus.RUNNING, 4, 6)
    assert "4 of 6 done" in client.get(reverse("job_progress", args=[job.pk])).text
    _killed(second)
    caplog.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_sweep().restarted == 1  # only the lost part; the batch's lease is alive
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert caplog.text.count("rendered") == 1
    assert "part 2 of 3 rendered" in caplog.text
    pages = pdf_pages(job.result_file.read())
    assert len(pages) == 6
    printed = [text.split("Report card")[1] for text in pages]
    assert [f"Pupil{n:02d} Class" in printed[n] for n in range(5)] == [True] * 5
    assert "Sam Parent" in printed[5]


def test_a_batch_started_again_keeps_the_parts_already_rendered_from_the_same_marks(
    school, admin, as_user, settings, django_capture_on_commit_callbacks, caplog
):
    settings.STUDENTFLOW_REPORT_CARD_PART_SIZE = 2
    _classmates(school, 3)  # 4 cards: two parts
    job = _ask(as_user(admin), school, django_capture_on_commit_callbacks, execute=False)
    with django_capture_on_commit_callbacks(execute=False):
        report_cards.report_card_batch_run(job=Job.objects.get(pk=job.pk))
    first, second = _parts(job)
    from tasks.report_cards import render_report_card_part

    with django_capture_on_commit_callbacks(execute=True):
        render_report_card_part.call_local(str(first.pk))
    # Every worker died: the batch's lease and the second part's run out; the sweeper restarts both.
    _killed(second)
    Job.objects.filter(pk=job.pk).update(worker="gone:1:worker", leased_until=timezone.now())
    caplog.set_level(logging.INFO, logger="modules.exams.report_cards")
    caplog.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_sweep().restarted == 2
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert "resuming, parts 1 of 2 already rendered" in caplog.text
    assert "part 1 of 2 rendered" not in caplog.text
    assert "part 2 of 2 rendered" in caplog.text
    assert len(pdf_pages(job.result_file.read())) == 4


def test_the_merge_is_claimed_once_per_run_when_every_part_is_done(
    school, admin, as_user, settings, django_capture_on_commit_callbacks
):
    settings.STUDENTFLOW_REPORT_CARD_PART_SIZE = 2
    _classmates(school, 3)
    job = _ask(as_user(admin), school, django_capture_on_commit_callbacks, execute=False)
    with django_capture_on_commit_callbacks(execute=False):
        assert job_claim(job=job)
        report_cards.report_card_batch_run(job=job)
    parts = job_children(job)
    assert not report_cards._merge_claim(job)  # parts still to render
    parts.update(status=JobStatus.SUCCEEDED)
    # The last part and a restarted run of the batch both see every part done: one of them merges.
    assert [report_cards._merge_claim(Job.objects.get(pk=job.pk)) for _twice in range(2)] == [True, False]
    # That merge's worker died: the run that the sweeper starts next may merge again, once it has queued
    # what its parts need (until then, a part that finishes first does not merge a batch still planning).
    Job.objects.filter(pk=job.pk).update(attempts=job.attempts + 1)
    assert not report_cards._merge_claim(Job.objects.get(pk=job.pk))
    report_cards._plan_enqueued(Job.objects.get(pk=job.pk))
    assert report_cards._merge_claim(Job.objects.get(pk=job.pk))


def test_a_parts_time_limit_grows_with_its_cards_so_a_slow_machine_delays_a_batch_but_does_not_fail_it(
    school, admin, as_user, settings, django_capture_on_commit_callbacks
):
    settings.STUDENTFLOW_REPORT_CARD_PART_SIZE = 3
    _classmates(school, 2)  # 3 cards: one part
    # No time at all for a single document: only the per-card allowance lets the part be laid out.
    settings.STUDENTFLOW_PDF_TIMEOUT = 0
    settings.STUDENTFLOW_PDF_SECONDS_PER_CARD = 60
    job = _ask(as_user(admin), school, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert job.result["pages"] == 3


def test_a_part_past_its_time_limit_fails_the_batch_and_says_why(
    school, admin, as_user, settings, django_capture_on_commit_callbacks
):
    settings.STUDENTFLOW_REPORT_CARD_PART_SIZE = 3
    _classmates(school, 2)
    settings.STUDENTFLOW_PDF_TIMEOUT = 0
    settings.STUDENTFLOW_PDF_SECONDS_PER_CARD = 0
    job = _ask(as_user(admin), school, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "took more than 0 seconds to produce" in job.message


def test_a_batch_is_gathered_a_few_sections_at_a_time_and_prints_as_if_gathered_whole(
    school, admin, as_user, monkeypatch, django_capture_on_commit_callbacks
):
    # A whole school's cards are never all in memory: the batch gathers sections in groups of about
    # PLAN_CARDS cards (a section never split), each card's HTML kept on disk until its part is queued.
    _classmates(school, 3)  # 7A: four cards; the other section: Olive's
    client = as_user(admin)
    gathered: list[list[int]] = []
    build = report_cards.cards_build

    def spy(**kwargs):
        gathered.append(sorted(kwargs["section_ids"]))
        return build(**kwargs)

    monkeypatch.setattr(report_cards, "cards_build", spy)
    files = {}
    for plan_cards in (1, 1000):
        monkeypatch.setattr(report_cards, "PLAN_CARDS", plan_cards)
        gathered.clear()
        Job.objects.filter(kind=report_cards.JOB_KIND).delete()
        job = _ask(
            client,
            school,
            django_capture_on_commit_callbacks,
            sections=[school.other_section.pk, school.section.pk],
        )
        job.refresh_from_db()
        assert job.status == JobStatus.SUCCEEDED, job.message
        files[plan_cards] = (pdf_pages(job.result_file.read()), list(gathered))
    one_by_one, whole = files[1], files[1000]
    assert one_by_one[1] == [[school.section.pk], [school.other_section.pk]]  # 7A first, as printed
    assert whole[1] == [sorted([school.section.pk, school.other_section.pk])]
    assert one_by_one[0] == whole[0]
    names = [f"Pupil{n:02d} Class" for n in range(3)] + ["Sam Parent", "Olive Elsewhere"]
    assert [next(name for name in names if name in page) for page in whole[0]] == names
