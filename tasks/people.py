"""Bulk student import on the queue: the dry run and the write of files too large to handle in a request."""

from __future__ import annotations

import datetime

from django.utils import translation
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from modules.core.models import Job
from modules.people import importing


def _import_job(job_id: str) -> Job | None:
    return Job.objects.select_related("owner").filter(pk=job_id, kind=importing.IMPORT_KIND).first()


@db_task()
def student_import_validate_task(job_id: str) -> None:
    job = _import_job(job_id)
    if job is None:
        return
    # Messages are written in the uploader's language, as they would be in the request.
    with translation.override(job.owner.language):
        importing.student_import_validate(job=job)


@db_task()
def student_import_commit_task(job_id: str) -> None:
    job = _import_job(job_id)
    if job is None:
        return
    with translation.override(job.owner.language):
        importing.student_import_commit(job=job)


@db_periodic_task(crontab(hour="3", minute="17"))
def purge_stale_import_uploads() -> int:
    return importing.import_uploads_purge(older_than=datetime.timedelta(days=2))
