"""Bulk student import on the queue (the dry run and the write), and bulk invitations of guardians.

The services claim the job and hold its lease (modules/core/jobs.py); a job whose worker was killed is
queued again by the sweeper (tasks/jobs.py) and restarts its phase from the stored file.
"""

from __future__ import annotations

import datetime

from django.utils import translation
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from modules.academics import importing, invites
from modules.core.jobs import job_kind_register, job_run
from modules.core.models import Job


def _import_job(job_id: str) -> Job | None:
    return Job.objects.select_related("owner").filter(pk=job_id, kind=importing.IMPORT_KIND).first()


@db_task()
def validate_student_import(job_id: str) -> None:
    job = _import_job(job_id)
    if job is None:
        return
    # Messages are written in the uploader's language, as they would be in the request.
    with translation.override(job.owner.language):
        importing.student_import_validate(job=job)


@db_task()
def commit_student_import(job_id: str) -> None:
    job = _import_job(job_id)
    if job is None:
        return
    with translation.override(job.owner.language):
        importing.student_import_commit(job=job)


def _queue(job: Job) -> None:
    """The task for the phase the job stands in: the dry run until it is done, then the write."""
    if importing.import_phase(job) in (importing.Phase.UPLOADED, importing.Phase.VALIDATING):
        validate_student_import(str(job.pk))
    else:
        commit_student_import(str(job.pk))


job_kind_register(importing.IMPORT_KIND, _queue)


@db_task()
def invite_guardians(job_id: str) -> None:
    # The job's messages are in the office's language (job_run sets it); each invitation is rendered in the
    # guardian's own (accounts.services.invitation_send). A restarted run carries on from its progress.
    job_run(
        job_id=job_id,
        kind=invites.INVITE_KIND,
        run=lambda job: invites.guardian_invite_run(job=job),
        fail=lambda job, error: invites.guardian_invite_fail(job=job, error=error),
    )


job_kind_register(invites.INVITE_KIND, lambda job: invite_guardians(str(job.pk)))


@db_periodic_task(crontab(hour="3", minute="17"))
def purge_stale_import_uploads() -> int:
    return importing.import_uploads_purge(older_than=datetime.timedelta(days=2))
