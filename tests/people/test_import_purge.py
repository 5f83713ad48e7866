"""Uploads of imports never confirmed are deleted after two days by a periodic task."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from modules.academics.importing import import_job_create, student_import_validate
from modules.core.models import Job
from tasks.academics import purge_stale_import_uploads
from tests.people.test_import_files import confirm, student_row, xlsx_upload

pytestmark = pytest.mark.django_db


def _dry_run(admin, age: datetime.timedelta) -> Job:
    job = import_job_create(owner=admin, upload=xlsx_upload([student_row(1)]))
    student_import_validate(job=job)
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - age)
    job.refresh_from_db()
    return job


def test_it_deletes_old_unconfirmed_uploads_and_keeps_recent_ones(admin, school):
    old = _dry_run(admin, datetime.timedelta(days=3))
    recent = _dry_run(admin, datetime.timedelta(hours=5))
    old_path, recent_path = old.payload["path"], recent.payload["path"]
    assert default_storage.exists(old_path)

    assert purge_stale_import_uploads.call_local() == 1

    assert not default_storage.exists(old_path)
    assert default_storage.exists(recent_path)
    old.refresh_from_db()
    assert old.payload["path"] is None
    assert purge_stale_import_uploads.call_local() == 0  # safe to run twice


def test_it_tells_the_office_when_a_purged_dry_run_is_confirmed(as_user, admin, school):
    job = _dry_run(admin, datetime.timedelta(days=3))
    purge_stale_import_uploads.call_local()
    response = confirm(as_user(admin), job)
    assert "The uploaded file is no longer available. Upload it again." in response.content.decode()
    assert not school.section.enrollments.exclude(student=school.child).exists()
