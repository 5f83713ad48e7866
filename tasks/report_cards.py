"""Report-card batches on the queue: ONE merged PDF per choice (term + sections + duplex option)."""

from __future__ import annotations

from django.utils import translation
from huey.contrib.djhuey import db_task

from modules.core.models import Job


@db_task()
def render_report_cards(job_id: str) -> None:
    from modules.exams.report_cards import JOB_KIND, report_card_batch_fail, report_card_batch_run

    job = Job.objects.select_related("owner").filter(pk=job_id, kind=JOB_KIND).first()
    if job is None:
        return
    # The cards are printed in the language of the person who asked for them.
    with translation.override(job.owner.language or None):
        try:
            report_card_batch_run(job=job)
        except Exception as error:  # the job page must say it failed rather than spin forever
            report_card_batch_fail(job=job, error=error)
            raise
