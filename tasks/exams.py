"""Grades on the queue: telling families about published marks once exams announces them (`marks_published`,
`term_results_published`: modules/exams/events.py; report-card batches join it), and reading the offline
marksheets teachers upload (never parsed in a web request)."""

from __future__ import annotations

import datetime

from django.dispatch import receiver
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from modules.core.jobs import job_kind_register
from modules.core.models import Job
from modules.exams import marksheets
from modules.exams.events import marks_published, term_results_published
from modules.exams.publishing import assessment_published_notify, term_results_notify


@db_task(retries=3, retry_delay=30)
def send_marks_published_notices(assessment_id: int) -> None:
    assessment_published_notify(assessment_id=assessment_id)


@db_task(retries=3, retry_delay=30)
def send_term_results_notices(term_id: int) -> None:
    term_results_notify(term_id=term_id)


@receiver(marks_published, dispatch_uid="tasks.exams.on_marks_published")
def on_marks_published(sender, *, assessment_id: int, **kwargs) -> None:
    send_marks_published_notices(assessment_id)


@receiver(term_results_published, dispatch_uid="tasks.exams.on_term_results_published")
def on_term_results_published(sender, *, term_id: int, **kwargs) -> None:
    send_term_results_notices(term_id)


@db_task()
def read_marksheet(job_id: str) -> None:
    # Claimed under a lease in the uploader's language (modules/core/jobs.py); the sweeper requeues it.
    marksheets.marksheet_job_read(job_id=job_id)


def _queue_marksheet_read(job: Job) -> None:
    read_marksheet(str(job.pk))


job_kind_register(marksheets.READ_KIND, _queue_marksheet_read)


@db_periodic_task(crontab(hour="3", minute="23"))
def purge_stale_marksheet_uploads() -> int:
    return marksheets.marksheet_uploads_purge(older_than=datetime.timedelta(days=1))
