"""The similarity check of assignments on the queue (modules/assignments/similarity_checks.py): after the
due time, a sweep every ten minutes checks each assignment due and not checked since its latest hand-in
(so a late hand-in is compared too); a check a teacher asks for on the results page runs as a Job with
progress. Every run is safe to repeat."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from modules.assignments import similarity_checks
from modules.core.jobs import job_kind_register
from modules.core.models import Job


@db_task()
def run_similarity_check(assignment_id: int) -> None:
    similarity_checks.similarity_check_queued(assignment_id=assignment_id)


@db_periodic_task(crontab(minute="*/10"))
def sweep_similarity_checks() -> int:
    due = similarity_checks.similarity_due(now=timezone.now())
    for assignment_id in due:
        run_similarity_check(assignment_id)
    return len(due)


@db_task()
def run_requested_similarity_check(job_id: str) -> None:
    # Claimed under a lease in the asker's language (modules/core/jobs.py); the job sweeper requeues it.
    similarity_checks.similarity_job_run(job_id=job_id)


def _queue_similarity_check(job: Job) -> None:
    run_requested_similarity_check(str(job.pk))


job_kind_register(similarity_checks.JOB_KIND, _queue_similarity_check)
