"""The generic progress page of a long job: it polls its fragment until the job is finished, then offers
the result; only the person who started the job may see it."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from modules.core.models import Job, JobStatus

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
    assert f'hx-get="{reverse("job_progress", args=[job.pk])}"' in text and 'hx-trigger="every 1s"' in text
    assert 'aria-live="polite"' in text


def test_the_fragment_alone_answers_htmx(as_user, admin, job):
    response = as_user(admin).get(reverse("job_progress", args=[job.pk]), **HTMX)
    text = response.content.decode()
    assert "<html" not in text and 'id="job-progress"' in text
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
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_refuses_post(as_user, admin, job):
    assert as_user(admin).post(reverse("job_progress", args=[job.pk])).status_code == 405
