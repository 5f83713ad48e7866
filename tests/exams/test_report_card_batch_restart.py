"""A report-card batch whose worker was killed (Huey does not acknowledge tasks): asking again, or the
sweeper, restarts it instead of following the stuck job for ever; a restarted batch never mixes parts
rendered from other marks."""

from __future__ import annotations

import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from modules.core.jobs import jobs_sweep
from modules.core.models import Job, JobStatus
from modules.exams import report_cards
from tests import factories as f
from tests.exams.test_report_card_fixtures import pdf_pages, sams_term
from tests.reauth import reauthenticate

URL = reverse("exams:report_card_batch")


def _ask(client, school, callbacks, *, execute: bool):
    reauthenticate(client)
    with callbacks(execute=execute) as queued:
        response = client.post(URL, {"term": school.term.pk, "sections": [school.section.pk]})
    assert response.status_code == 302
    return Job.objects.get(kind=report_cards.JOB_KIND), queued


def _killed(job: Job, *, seconds_ago: int) -> None:
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING,
        attempts=1,
        done=1,
        total=2,
        worker="gone:1:worker",
        leased_until=timezone.now() - datetime.timedelta(seconds=seconds_ago),
    )


def test_asking_again_for_a_batch_whose_worker_was_killed_restarts_it(
    school, admin, as_user, django_capture_on_commit_callbacks
):
    sams_term(school)
    f.EnrollmentFactory(student=f.StudentFactory(first_name="Abe", last_name="Class"), section=school.section)
    client = as_user(admin)
    job, _queued = _ask(client, school, django_capture_on_commit_callbacks, execute=False)  # task lost
    _killed(job, seconds_ago=5)
    again, _queued = _ask(client, school, django_capture_on_commit_callbacks, execute=True)
    assert again.pk == job.pk
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert job.attempts == 2
    pages = pdf_pages(job.result_file.read())
    assert len(pages) == 2
    assert "Abe Class" in pages[0]
    assert "Sam Parent" in pages[1]
    assert "Finished after a restart" in client.get(reverse("job_progress", args=[job.pk])).text


def test_asking_again_while_the_batch_is_running_follows_it(
    school, admin, as_user, django_capture_on_commit_callbacks
):
    client = as_user(admin)
    job, _queued = _ask(client, school, django_capture_on_commit_callbacks, execute=False)
    _killed(job, seconds_ago=-60)  # its lease is alive: a worker is on it
    again, queued = _ask(client, school, django_capture_on_commit_callbacks, execute=False)
    assert again.pk == job.pk
    assert not queued
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.RUNNING, 1)


def test_a_restarted_batch_renders_again_the_parts_of_cards_that_changed_meanwhile(
    school, admin, as_user, django_capture_on_commit_callbacks
):
    sams_term(school)
    client = as_user(admin)
    job, _queued = _ask(client, school, django_capture_on_commit_callbacks, execute=False)
    # The killed run had rendered a part before the marks changed: its fingerprint no longer matches.
    stale = default_storage.save(f"jobs/parts/{job.pk}/stale-00000.pdf", ContentFile(b"%PDF-1.4 stale"))
    Job.objects.filter(pk=job.pk).update(
        result={**job.result, "parts": {"fingerprint": "before-the-marks-changed", "files": {"0": stale}}}
    )
    _killed(job, seconds_ago=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_sweep().restarted == 1
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.message
    pages = pdf_pages(job.result_file.read())
    assert len(pages) == 1
    assert "Sam Parent" in pages[0]
    assert "Quiz A 18/20" in pages[0]
    assert not default_storage.exists(stale)
    assert "parts" not in job.result
