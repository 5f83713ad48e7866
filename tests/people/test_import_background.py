"""Large imports run on the queue: the page shows a progress bar that polls until the job is finished."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from modules.academics.importing import import_job_create, student_import_commit, student_import_validate
from modules.core.models import Job, JobStatus
from modules.people.models import Guardian, Student
from tasks.academics import commit_student_import, validate_student_import
from tests.people.test_import_files import page_text, student_row, xlsx_upload

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def office(as_user, admin, school):
    return as_user(admin)


def _rows(count: int) -> list[dict]:
    return [student_row(n) for n in range(1, count + 1)]


def test_a_large_file_is_checked_on_the_queue_with_a_progress_bar(office, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = office.post(reverse("people:import_start"), {"file": xlsx_upload(_rows(60))})
    job = Job.objects.get()
    url = reverse("people:import_detail", args=[job.pk])
    assert response.status_code == 302
    assert response["Location"] == url
    assert len(callbacks) == 1  # the dry run waits for the queue

    text = page_text(office.get(url))
    assert "Checking your file (dry run)…" in text
    assert '<progress class="w-100 job-progress" max="60" value="0"' in text
    assert f'hx-get="{url}"' in text
    assert 'hx-trigger="every 1s"' in text
    assert "0 of 60 rows checked." in text

    partial = office.get(url, **HTMX)
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode()
    assert 'hx-trigger="every 1s"' in partial.content.decode()
    assert "HX-Request" in partial["Vary"]

    callbacks[0]()  # the queue runs the dry run (immediate mode in tests)
    finished = office.get(url, **HTMX)
    assert finished["HX-Refresh"] == "true"  # polling stops: the page reloads with the results
    text = page_text(office.get(url))
    assert "No problems found" in text
    assert f'hx-get="{url}"' not in text


def test_a_large_import_is_written_on_the_queue_once(office, admin, django_capture_on_commit_callbacks):
    job = import_job_create(owner=admin, upload=xlsx_upload(_rows(60)))
    student_import_validate(job=job)
    url = reverse("people:import_confirm", args=[job.pk])
    with django_capture_on_commit_callbacks() as callbacks:
        office.post(url)
        office.post(url)  # a second click before the queue ran
    assert len(callbacks) == 1
    text = page_text(office.get(reverse("people:import_detail", args=[job.pk])))
    assert "Importing 60 students…" in text
    assert "<progress" in text
    assert not Student.objects.filter(admission_number__startswith="N").exists()

    callbacks[0]()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.payload["phase"] == "imported"
    assert Student.objects.filter(admission_number__startswith="N").count() == 60
    text = page_text(office.get(reverse("people:import_detail", args=[job.pk])))
    assert "60 students imported" in text


def test_the_tasks_are_safe_to_run_twice(admin, school):
    job = import_job_create(owner=admin, upload=xlsx_upload(_rows(3)))
    validate_student_import(str(job.pk))
    validate_student_import(str(job.pk))
    commit_student_import(str(job.pk))
    commit_student_import(str(job.pk))
    assert Student.objects.filter(admission_number__startswith="N").count() == 3
    assert Guardian.objects.filter(email__endswith="@family.test").count() == 3


def test_the_tasks_ignore_a_job_that_is_gone(admin, school):
    job = import_job_create(owner=admin, upload=xlsx_upload(_rows(1)))
    job_id = str(job.pk)
    job.delete()
    validate_student_import(job_id)
    commit_student_import(job_id)
    assert not Student.objects.filter(admission_number__startswith="N").exists()


def test_a_job_whose_file_vanished_fails_with_a_message(office, admin, school):
    from django.core.files.storage import default_storage

    job = import_job_create(owner=admin, upload=xlsx_upload(_rows(1)))
    default_storage.delete(job.payload["path"])
    validate_student_import(str(job.pk))
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    text = page_text(office.get(reverse("people:import_detail", args=[job.pk])))
    assert "The uploaded file is no longer available. Upload it again." in text


def test_three_thousand_rows_validate_and_commit_well_within_twenty_seconds(admin, school):
    rows = [
        student_row(n, guardian1_email=f"family{n // 2}@family.test", section="7A" if n % 2 else "7B")
        for n in range(1, 3001)
    ]
    upload = xlsx_upload(rows)
    started = time.monotonic()
    job = import_job_create(owner=admin, upload=upload)
    student_import_validate(job=job)
    job.refresh_from_db()
    assert job.result["error_count"] == 0
    student_import_commit(job=job)
    elapsed = time.monotonic() - started
    assert Student.objects.filter(admission_number__startswith="N").count() == 3000
    assert Guardian.objects.filter(email__endswith="@family.test").count() == 1501  # siblings share
    assert elapsed < 20, f"3,000 rows took {elapsed:.1f} s"
