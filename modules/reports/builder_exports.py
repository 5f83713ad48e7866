"""A saved report as a file (CSV, XLSX or PDF), built in the scope of the person it is for: at once when it
is small, else on the queue as a core Job (tasks/reports.py `run_report_export`) whose page shows the
progress and the download."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from modules.core.audit import audit_log
from modules.core.jobs import job_enqueue, job_finish, job_heartbeat
from modules.core.models import Job, JobStatus
from modules.core.pdf import render_pdf
from modules.core.spreadsheets import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, csv_bytes, xlsx_bytes
from modules.reports.builder import EXPORT_BATCH, Definition, definition_read, report_count, report_rows
from modules.reports.datasets import dataset_get
from modules.reports.models import SavedReport

JOB_KIND = "report_export"
FORMATS = {"csv": CSV_CONTENT_TYPE, "xlsx": XLSX_CONTENT_TYPE, "pdf": "application/pdf"}
PDF_TEMPLATE = "reports/builder/pdf.html"


@dataclass
class ExportFile:
    content: bytes
    filename: str
    content_type: str


def export_filename(report: SavedReport, fmt: str) -> str:
    return f"{slugify(report.name) or 'report'}-{timezone.localdate():%Y-%m-%d}.{fmt}"


def _counted(rows: Iterator[list[Any]], job: Job | None, total: int) -> Iterator[list[Any]]:
    """The rows, reporting progress to the job (and keeping its lease) every batch."""
    for done, row in enumerate(rows, start=1):
        if job is not None and done % EXPORT_BATCH == 0:
            job_heartbeat(job=job, done=min(done, total))
        yield row


def export_build(
    *, report: SavedReport, definition: Definition, user, fmt: str, job: Job | None = None, total: int = 0
) -> ExportFile:
    """The report's file, every row `user` may see."""
    headers, rows = report_rows(definition, user)
    rows = _counted(rows, job, total)
    filename = export_filename(report, fmt)
    if fmt == "csv":
        content = csv_bytes(headers, rows)
    elif fmt == "xlsx":
        content = xlsx_bytes(headers, rows, sheet_title=report.name[:31] or _("Report"))
    else:
        context = {
            "report": report,
            "headers": headers,
            "rows": list(rows),
            "definition": definition,
            "made_at": timezone.localtime(),
            "user": user,
        }
        content = render_pdf(PDF_TEMPLATE, context)
    return ExportFile(content=content, filename=filename, content_type=FORMATS[fmt])


def export_log(*, report: SavedReport, actor, fmt: str, rows: int) -> None:
    audit_log(
        actor=actor,
        action="report.export",
        obj=report,
        after={"format": fmt, "rows": rows, "dataset": report.dataset},
    )


def report_export_start(*, report: SavedReport, user, fmt: str) -> Job:
    """Queue the file of a report too large to build while the person waits."""
    job = Job.objects.create(
        kind=JOB_KIND,
        owner=user,
        payload={"report": report.pk, "format": fmt},
        result={"title": _("Export of “%(name)s”") % {"name": report.name}},
    )
    return job_enqueue(job=job)


def report_export_run(*, job: Job) -> None:
    """Build the file as the job's owner sees the report now (safe to run again: it starts over)."""
    report = SavedReport.objects.filter(pk=job.payload["report"]).visible_to(job.owner).first()
    dataset = dataset_get(report.dataset) if report is not None else None
    if report is None or dataset is None or not dataset.may_use(job.owner):
        job_finish(job=job, status=JobStatus.FAILED, message=_("This report is no longer available to you."))
        return
    fmt = job.payload["format"]
    definition, _missing = definition_read(dataset, report.definition)
    total = report_count(definition, job.owner)
    job_heartbeat(job=job, total=total, done=0)
    built = export_build(report=report, definition=definition, user=job.owner, fmt=fmt, job=job, total=total)
    job.result_file.save(built.filename, ContentFile(built.content), save=False)
    export_log(report=report, actor=job.owner, fmt=fmt, rows=total)
    job_finish(
        job=job,
        status=JobStatus.SUCCEEDED,
        message=ngettext("%(count)s row.", "%(count)s rows.", total) % {"count": total},
        result_file=job.result_file.name,
        result={**job.result, "filename": built.filename},
        done=total,
        total=total,
    )


def report_export_fail(*, job: Job, error: Exception) -> None:
    job_finish(
        job=job,
        status=JobStatus.FAILED,
        message=_("The report could not be exported: %(error)s") % {"error": error},
    )
