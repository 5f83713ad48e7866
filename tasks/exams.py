"""Grades on the queue: telling families about published marks (report-card batches join it)."""

from huey.contrib.djhuey import db_task


@db_task(retries=3, retry_delay=30)
def notify_assessment_published(assessment_id: int) -> None:
    from modules.exams.publishing import assessment_published_notify

    assessment_published_notify(assessment_id=assessment_id)


@db_task(retries=3, retry_delay=30)
def notify_term_results(term_id: int) -> None:
    from modules.exams.publishing import term_results_notify

    term_results_notify(term_id=term_id)
