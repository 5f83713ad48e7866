"""Report-card batches on the queue: ONE merged PDF per choice (term + sections + duplex option).

`render_report_cards` claims the batch's job (a batch enqueued twice runs once), builds every card's HTML
and fans the batch out: each part is a child job rendered by `render_report_card_part`, on whichever
worker of whichever node takes it, and the part that finishes last merges them. A part (or a batch) whose
worker was killed is queued again by the sweeper (tasks/jobs.py), and only what was lost is redone.
"""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from modules.core.jobs import job_kind_register, job_run
from modules.exams.report_cards import (
    JOB_KIND,
    PART_KIND,
    report_card_batch_fail,
    report_card_batch_run,
    report_card_part_fail,
    report_card_part_run,
)


@db_task()
def render_report_cards(job_id: str) -> None:
    # The cards are printed in the language of the person who asked for them (job_run sets it).
    job_run(
        job_id=job_id,
        kind=JOB_KIND,
        run=lambda job: report_card_batch_run(job=job),
        fail=lambda job, error: report_card_batch_fail(job=job, error=error),
    )


@db_task()
def render_report_card_part(job_id: str) -> None:
    job_run(
        job_id=job_id,
        kind=PART_KIND,
        run=lambda part: report_card_part_run(part=part),
        fail=lambda part, error: report_card_part_fail(part=part, error=error),
    )


job_kind_register(JOB_KIND, lambda job: render_report_cards(str(job.pk)))
job_kind_register(PART_KIND, lambda part: render_report_card_part(str(part.pk)))
