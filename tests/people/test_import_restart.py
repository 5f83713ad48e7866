"""An import whose worker was killed (Huey does not acknowledge tasks) is not left "Importing…" for ever:
the sweeper restarts its phase from the stored file, and everyone is imported once."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from modules.academics.importing import Phase, import_job_create, student_import_validate
from modules.core.jobs import jobs_sweep
from modules.core.models import Job, JobStatus
from modules.people.models import Student
from tests.people.test_import_files import page_text, student_row, xlsx_upload

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def office(as_user, admin, school):
    return as_user(admin)


def _killed_in(job: Job, phase: str, *, attempts: int = 1) -> None:
    """As a worker killed in `phase` leaves the job (its transaction, if any, rolled back)."""
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING,
        payload={**job.payload, "phase": phase},
        attempts=attempts,
        worker="gone:1:worker",
        finished_at=None,
        leased_until=timezone.now() - datetime.timedelta(seconds=5),
    )


def test_a_write_killed_midway_restarts_from_the_file_and_imports_everyone_once(
    office, admin, django_capture_on_commit_callbacks
):
    job = import_job_create(owner=admin, upload=xlsx_upload([student_row(n) for n in range(1, 61)]))
    student_import_validate(job=job)
    _killed_in(job, Phase.COMMITTING)
    url = reverse("people:import_detail", args=[job.pk])
    assert "Importing 60 students…" in page_text(office.get(url))

    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_sweep().restarted == 1
    job.refresh_from_db()
    assert (job.status, job.payload["phase"], job.attempts) == (JobStatus.SUCCEEDED, Phase.IMPORTED, 2)
    assert Student.objects.filter(admission_number__startswith="N").count() == 60
    text = page_text(office.get(url))
    assert "60 students imported" in text
    assert "Finished after a restart" in text
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_sweep().restarted == 0  # finished: nothing more to do
    assert Student.objects.filter(admission_number__startswith="N").count() == 60


def test_a_dry_run_killed_midway_is_checked_again(office, admin, django_capture_on_commit_callbacks):
    job = import_job_create(owner=admin, upload=xlsx_upload([student_row(n) for n in range(1, 61)]))
    _killed_in(job, Phase.VALIDATING)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_sweep().restarted == 1
    job.refresh_from_db()
    assert (job.status, job.payload["phase"]) == (JobStatus.SUCCEEDED, Phase.PREVIEW)
    assert "No problems found" in page_text(office.get(reverse("people:import_detail", args=[job.pk])))
    assert not Student.objects.filter(admission_number__startswith="N").exists()


def test_an_import_killed_on_its_last_attempt_says_it_failed_and_stops_polling(office, admin):
    job = import_job_create(owner=admin, upload=xlsx_upload([student_row(n) for n in range(1, 61)]))
    student_import_validate(job=job)
    _killed_in(job, Phase.COMMITTING, attempts=3)
    assert jobs_sweep().failed == 1
    url = reverse("people:import_detail", args=[job.pk])
    assert office.get(url, **HTMX)["HX-Refresh"] == "true"  # the polling page reloads once
    text = page_text(office.get(url))
    assert "The job stopped 3 times before it finished" in text
    assert "Upload a file again" in text
    assert f'hx-get="{url}"' not in text
    assert not Student.objects.filter(admission_number__startswith="N").exists()
