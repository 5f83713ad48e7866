"""Generating an instalment's invoices for a large school on the queue (the bursar follows a job page)."""

from __future__ import annotations

from django.utils import translation
from huey.contrib.djhuey import db_task

from modules.core.models import Job


@db_task()
def generate_invoices_task(job_id: str) -> None:
    from modules.fees.billing import JOB_KIND, generation_fail, generation_run

    job = Job.objects.select_related("owner").filter(pk=job_id, kind=JOB_KIND).first()
    if job is None or job.is_finished:
        return
    # Invoice lines and the job's message are written in the language of the person who asked.
    with translation.override(job.owner.language or None):
        try:
            generation_run(job=job)
        except Exception as error:  # the job page must say it failed rather than spin forever
            generation_fail(job=job, error=error)
            raise


@db_task()
def notify_new_invoices_task(invoice_ids: list[int]) -> None:
    from modules.fees.notices import notify_new_invoices

    notify_new_invoices(invoice_ids)
