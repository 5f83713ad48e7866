"""The generic progress page of a long job: it polls its fragment until the job is finished, then offers
the result; only the person who started the job may see it. And the lease every run holds: a job whose
worker was killed is queued again by the sweeper, and its page says what happened."""

from __future__ import annotations

import datetime
import html

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from modules.core import jobs
from modules.core.jobs import JobLost, job_claim, job_finish, jobs_sweep
from modules.core.models import Job, JobStatus
from tasks.jobs import sweep_jobs

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def job(admin):
    return Job.objects.create(kind="report_cards", owner=admin, total=40)


def test_it_shows_progress_and_polls_while_running(as_user, admin, job):
    job.set_progress(10)
    response = as_user(admin).get(reverse("job_progress", args=[job.pk]))
    text = response.content.decode()
    assert response.status_code == 200
    assert '<progress class="w-100 job-progress" max="40" value="10"' in text
    assert "10 of 40 done (25%)." in text
    assert f'hx-get="{reverse("job_progress", args=[job.pk])}"' in text
    assert 'hx-trigger="every 1s"' in text
    assert 'aria-live="polite"' in text


def test_the_fragment_alone_answers_htmx(as_user, admin, job):
    response = as_user(admin).get(reverse("job_progress", args=[job.pk]), **HTMX)
    text = response.content.decode()
    assert "<html" not in text
    assert 'id="job-progress"' in text
    assert "HX-Request" in response["Vary"]


def test_polling_stops_and_the_download_appears_when_finished(as_user, admin, job):
    job.status = JobStatus.SUCCEEDED
    job.done = 40
    job.result = {"filename": "cards.pdf"}
    job.result_file.save("cards.pdf", ContentFile(b"%PDF-1.4 cards"), save=False)
    job.save()
    client = as_user(admin)
    text = client.get(reverse("job_progress", args=[job.pk]), **HTMX).content.decode()
    assert f'hx-get="{reverse("job_progress", args=[job.pk])}"' not in text  # polling stops
    assert reverse("job_download", args=[job.pk]) in text
    download = client.get(reverse("job_download", args=[job.pk]))
    assert download.status_code == 200
    assert 'filename="cards.pdf"' in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == b"%PDF-1.4 cards"


def test_a_failed_job_says_why(as_user, admin, job):
    Job.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, message="The printer template is missing.")
    text = as_user(admin).get(reverse("job_progress", args=[job.pk])).content.decode()
    assert "The printer template is missing." in text
    assert f'hx-get="{reverse("job_progress", args=[job.pk])}"' not in text


def test_a_job_without_a_total_shows_an_indeterminate_bar(as_user, admin):
    job = Job.objects.create(kind="export", owner=admin)
    text = as_user(admin).get(reverse("job_progress", args=[job.pk])).content.decode()
    assert '<progress class="w-100 job-progress" aria-labelledby="job-progress-label"></progress>' in text


def test_someone_elses_job_is_not_found(as_user, teacher, job):
    client = as_user(teacher)
    assert client.get(reverse("job_progress", args=[job.pk])).status_code == 404
    assert client.get(reverse("job_download", args=[job.pk])).status_code == 404


def test_a_job_without_a_file_has_no_download(as_user, admin, job):
    assert as_user(admin).get(reverse("job_download", args=[job.pk])).status_code == 404


def test_visitors_are_sent_to_log_in(client, job):
    response = client.get(reverse("job_progress", args=[job.pk]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_it_refuses_post(as_user, admin, job):
    assert as_user(admin).post(reverse("job_progress", args=[job.pk])).status_code == 405


# --- the lease: a job whose worker was killed does not stay "running" for ever ----------------------------


def _stuck(job: Job, *, attempts: int = 1, done: int = 10) -> Job:
    """As a worker killed mid-run leaves its job: running, its lease run out."""
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING,
        attempts=attempts,
        done=done,
        worker="gone:1:worker",
        leased_until=timezone.now() - datetime.timedelta(seconds=5),
    )
    job.refresh_from_db()
    return job


def test_a_job_enqueued_twice_runs_once(job):
    assert job_claim(job=job)
    twin = Job.objects.get(pk=job.pk)
    assert not job_claim(job=twin)  # the second task finds it held by a live run
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.RUNNING, 1)
    assert job.leased_until > timezone.now()


def test_a_run_extends_its_lease_while_it_progresses(job):
    job_claim(job=job)
    Job.objects.filter(pk=job.pk).update(leased_until=timezone.now() + datetime.timedelta(seconds=1))
    job.set_progress(20)
    job.refresh_from_db()
    assert job.done == 20
    assert job.leased_until > timezone.now() + datetime.timedelta(seconds=60)


def test_a_run_that_was_taken_over_stops_and_writes_nothing(job):
    job_claim(job=job)
    Job.objects.filter(pk=job.pk).update(leased_until=timezone.now() - datetime.timedelta(seconds=1))
    successor = Job.objects.get(pk=job.pk)
    assert job_claim(job=successor)  # its lease ran out: another run took the job
    with pytest.raises(JobLost):
        job.set_progress(30)
    assert not job_finish(job=job, status=JobStatus.FAILED, message="late")
    successor.refresh_from_db()
    assert (successor.status, successor.attempts, successor.message) == (JobStatus.RUNNING, 2, "")


@pytest.fixture
def register_kind(monkeypatch):
    """Register a job kind for one test only (tasks/ registers the real ones)."""

    def register(kind: str, enqueue) -> None:
        monkeypatch.setitem(jobs._kinds, kind, enqueue)

    return register


def test_the_sweeper_queues_a_killed_workers_job_again_and_its_page_says_so(
    as_user, admin, job, register_kind, django_capture_on_commit_callbacks
):
    queued: list[str] = []
    register_kind("test.kind", lambda stuck: queued.append(str(stuck.pk)))
    Job.objects.filter(pk=job.pk).update(kind="test.kind")
    _stuck(job)
    alive = _stuck(Job.objects.create(kind="test.kind", owner=admin, total=5), done=2)
    Job.objects.filter(pk=alive.pk).update(leased_until=timezone.now() + datetime.timedelta(seconds=60))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_jobs.call_local() == 1
    assert queued == [str(job.pk)]  # the live one is left alone
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert job.done == 10
    page = reverse("job_progress", args=[job.pk])
    text = as_user(admin).get(page).content.decode()
    assert "Interrupted: the worker running this job stopped. It restarts by itself (attempt 2 of 3)." in text
    assert f'hx-get="{page}"' in text  # still polled: it is going to run again
    assert job_claim(job=job)
    text = as_user(admin).get(page).content.decode()
    assert "Restarted after an interruption (attempt 2 of 3)." in text
    assert job_finish(job=job, status=JobStatus.SUCCEEDED, done=40)
    text = as_user(admin).get(page).content.decode()
    assert "Finished after a restart: the worker running it stopped once" in text


def test_a_job_is_given_up_after_its_attempts_with_a_clear_message(as_user, admin, job, register_kind):
    register_kind("test.kind", lambda stuck: pytest.fail("a job out of attempts is not queued"))
    Job.objects.filter(pk=job.pk).update(kind="test.kind")
    _stuck(job, attempts=3)
    assert jobs_sweep().failed == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.finished_at is not None
    text = html.unescape(as_user(admin).get(reverse("job_progress", args=[job.pk])).content.decode())
    assert "The job stopped 3 times before it finished (the worker running it was stopped)" in text
    assert "Start it again" in text
    assert f'hx-get="{reverse("job_progress", args=[job.pk])}"' not in text


def test_a_job_from_before_leases_stuck_for_long_is_swept(admin):
    old = Job.objects.create(kind="nobody.registered", owner=admin, status=JobStatus.RUNNING)
    Job.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(hours=3))
    recent = Job.objects.create(kind="nobody.registered", owner=admin, status=JobStatus.RUNNING)
    assert jobs_sweep().failed == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status == JobStatus.FAILED
    assert "cannot restart by itself" in old.message
    assert recent.status == JobStatus.RUNNING


@pytest.mark.django_db(transaction=True)
def test_a_run_alive_but_stuck_loses_its_lease_and_one_that_progresses_keeps_it(settings, admin):
    """The lease thread keeps a silent step alive, but not for ever: a worker that is alive and hung is
    restarted like a dead one, while a run that keeps reporting progress keeps its job."""
    import time

    from modules.core.jobs import job_lease

    settings.STUDENTFLOW_JOB_LEASE_SECONDS = 0.6
    settings.STUDENTFLOW_JOB_SILENT_SECONDS = 1
    hung = Job.objects.create(kind="report_cards", owner=admin, total=40)
    busy = Job.objects.create(kind="report_cards", owner=admin, total=40)
    assert job_claim(job=hung)
    assert job_claim(job=busy)

    with job_lease(hung):
        time.sleep(2.5)  # no progress at all: the beats stop after a second, the lease runs out
    hung.refresh_from_db()
    assert hung.leased_until < timezone.now()

    with job_lease(busy):
        for done in range(1, 6):
            time.sleep(0.5)
            busy.set_progress(done)
    busy.refresh_from_db()
    assert busy.leased_until > timezone.now()
    assert busy.status == JobStatus.RUNNING
