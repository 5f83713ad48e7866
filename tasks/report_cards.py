"""Report-card batches on the queue: ONE merged PDF per choice (term + sections + duplex option).

The task claims the job (a batch enqueued twice runs once) and holds its lease while it renders; a batch
whose worker was killed is queued again by the sweeper (tasks/jobs.py) and resumes from its finished parts.
"""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from modules.core.jobs import job_kind_register, job_run
from modules.exams.report_cards import JOB_KIND, report_card_batch_fail, report_card_batch_run


@db_task()
def render_report_cards(job_id: str) -> None:
    # The cards are printed in the language of the person who asked for them (job_run sets it).
    job_run(
        job_id=job_id,
        kind=JOB_KIND,
        run=lambda job: report_card_batch_run(job=job),
        fail=lambda job, error: report_card_batch_fail(job=job, error=error),
    )


job_kind_register(JOB_KIND, lambda job: render_report_cards(str(job.pk)))
