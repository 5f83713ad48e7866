"""The report builder on the queue: a saved report's export too large to build while the person waits
(modules/reports/builder_exports.py), run in the language and the scope of the person who asked; and the
scheduled reports (modules/reports/builder_schedules.py): each morning at SEND_HOUR school time every
schedule due queues a copy per recipient, built as that recipient and announced to them; and a compliance
return's PDF too long to lay out while the office waits (modules/reports/returns_jobs.py)."""

from __future__ import annotations

from django.utils import timezone
from huey.contrib.djhuey import db_periodic_task, db_task

from modules.core.clock import SchoolTime
from modules.core.jobs import job_kind_register, job_run
from modules.reports.builder_exports import JOB_KIND, report_export_fail, report_export_run
from modules.reports.builder_schedules import COPY_KIND, report_schedules_send, scheduled_copy_run
from modules.reports.returns_jobs import JOB_KIND as RETURN_PDF_KIND
from modules.reports.returns_jobs import return_pdf_fail, return_pdf_run

SEND_HOUR = 6


@db_task()
def run_report_export(job_id: str) -> None:
    job_run(
        job_id=job_id,
        kind=JOB_KIND,
        run=lambda job: report_export_run(job=job),
        fail=lambda job, error: report_export_fail(job=job, error=error),
    )


job_kind_register(JOB_KIND, lambda job: run_report_export(str(job.pk)))


@db_task()
def send_scheduled_report_copy(job_id: str) -> None:
    # One recipient's copy of a scheduled report, built as that recipient, then announced to them.
    job_run(
        job_id=job_id,
        kind=COPY_KIND,
        run=lambda job: scheduled_copy_run(job=job),
        fail=lambda job, error: report_export_fail(job=job, error=error),
    )


job_kind_register(COPY_KIND, lambda job: send_scheduled_report_copy(str(job.pk)))


@db_task()
def run_return_pdf(job_id: str) -> None:
    # A compliance return's PDF with more rows than a request lays out (modules/reports/returns_jobs.py).
    job_run(
        job_id=job_id,
        kind=RETURN_PDF_KIND,
        run=lambda job: return_pdf_run(job=job),
        fail=lambda job, error: return_pdf_fail(job=job, error=error),
    )


job_kind_register(RETURN_PDF_KIND, lambda job: run_return_pdf(str(job.pk)))


@db_periodic_task(SchoolTime(hour=SEND_HOUR))
def send_scheduled_reports() -> None:
    report_schedules_send(today=timezone.localdate())
