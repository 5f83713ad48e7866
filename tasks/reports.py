"""The report builder on the queue: a saved report's export too large to build while the person waits
(modules/reports/builder_exports.py), run in the language and the scope of the person who asked."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from modules.core.jobs import job_kind_register, job_run
from modules.reports.builder_exports import JOB_KIND, report_export_fail, report_export_run


@db_task()
def run_report_export(job_id: str) -> None:
    job_run(
        job_id=job_id,
        kind=JOB_KIND,
        run=lambda job: report_export_run(job=job),
        fail=lambda job, error: report_export_fail(job=job, error=error),
    )


job_kind_register(JOB_KIND, lambda job: run_report_export(str(job.pk)))
