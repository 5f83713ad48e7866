"""Report-card batches on the queue: ONE merged PDF per choice (term + sections + duplex option).

`render_report_cards` claims the batch's job (a batch enqueued twice runs once), builds every card's HTML
and fans the batch out: each part is a child job rendered by `render_report_card_part`, on whichever
worker of whichever node takes it, and the part that finishes last merges them. A part (or a batch) whose
worker was killed is queued again by the sweeper (tasks/jobs.py), and only what was lost is redone.

When a term's results are published (`exams.term_results_published`), `render_report_cards_ahead` lays out
every section's cards ahead of the office, one section a task, in the publisher's language: the office's
batch then finds them laid out (exams.RenderedCard) and only merges. `purge_unused_card_layouts` forgets,
nightly, the laid-out cards no batch used for STUDENTFLOW_REPORT_CARD_CACHE_DAYS days.
"""

from __future__ import annotations

from django.dispatch import receiver
from django.utils import translation
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from modules.core.jobs import job_kind_register, job_run
from modules.exams.events import term_results_published
from modules.exams.report_cards import (
    JOB_KIND,
    PART_KIND,
    rendered_cards_prune,
    report_card_batch_fail,
    report_card_batch_run,
    report_card_part_fail,
    report_card_part_run,
    report_cards_prepare,
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


@db_task()
def render_report_cards_ahead(
    term_id: int, section_ids: list[int] | None = None, language: str | None = None
) -> None:
    # One section, then the rest as a new task at the back of the queue: the office's own requests queued
    # meanwhile go first, and at most one worker is busy preparing.
    with translation.override(language):
        left = report_cards_prepare(term_id=term_id, section_ids=section_ids)
    if left:
        render_report_cards_ahead(term_id, left, language)


@receiver(term_results_published, dispatch_uid="tasks.report_cards.on_term_results_published")
def on_term_results_published(sender, *, term_id: int, by=None, **kwargs) -> None:
    render_report_cards_ahead(term_id, None, getattr(by, "language", None) or None)


@db_periodic_task(crontab(hour="3", minute="41"))
def purge_unused_card_layouts() -> int:
    return rendered_cards_prune()
