"""A compliance return's PDF with every row, however long (a whole school's attendance by student).

A return whose tables all fit in `PDF_ROWS` rows is laid out while the office waits (views_returns.py). A
longer one would outlast the PDF time limit of a request (WeasyPrint lays a table out at some 10-20 ms a
row), so it is laid out on the queue as a core Job (tasks/reports.py `run_return_pdf`): the download link
leads to the job's page, which shows the progress and then the file. The job builds the return again from
the same values as its owner (still an administrator, or it fails saying so), lays out every row under a
time limit that grows with them, and audits the export as the direct download does.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from modules.accounts.rules import is_administrator
from modules.core.jobs import job_enqueue, job_finish, job_heartbeat
from modules.core.models import Job, JobStatus, SchoolProfile
from modules.core.pdf import render_pdf
from modules.reports import returns
from modules.reports.returns import ReturnDocument, ReturnKind, return_export_audit
from modules.reports.returns_catalogue import BY_SLUG

JOB_KIND = "return_pdf"
PDF_TEMPLATE = "reports/returns/pdf.html"
# The layout's time limit: the PDF limit, and this much more for each row (10-20 ms measured, kept loose for
# a busy machine: a slow machine's return takes longer, it does not fail).
SECONDS_PER_ROW = 0.06


def return_pdf_queued(document: ReturnDocument) -> bool:
    """Whether the PDF of `document` is laid out on the queue rather than while the office waits."""
    return any(len(table.rows) > returns.PDF_ROWS for table in document.tables)


def return_pdf(document: ReturnDocument, *, request=None, timeout: int | None = None) -> bytes:
    """The return's PDF, every row of every table (in a request, under the PDF time limit of a request)."""
    context = {"document": document, "school": SchoolProfile.load(), "generated_at": timezone.now()}
    return render_pdf(PDF_TEMPLATE, context, request=request, timeout=timeout)


def return_pdf_start(*, kind: ReturnKind, params: dict[str, str], user) -> Job:
    job = Job.objects.create(
        kind=JOB_KIND,
        owner=user,
        payload={"return": kind.slug, "params": params},
        result={"title": _("%(return)s, as PDF") % {"return": kind.title}},
    )
    return job_enqueue(job=job)


def _refused(job: Job, message: str) -> None:
    job_finish(job=job, status=JobStatus.FAILED, message=message)


def return_pdf_run(*, job: Job) -> None:
    """Build the return again as its owner, lay every row out, keep the file (safe to run again: it starts
    over)."""
    kind = BY_SLUG.get(job.payload.get("return", ""))
    if kind is None or not is_administrator(job.owner):
        _refused(job, _("This return is no longer available to you."))
        return
    params = job.payload.get("params") or {}
    form = kind.form(params or None)
    if form.is_bound and not form.is_valid():  # a grade level deleted since, say
        _refused(job, _("This return can no longer be made with the values it was asked for."))
        return
    document = kind.build(values=form.values(), user=job.owner)
    rows = document.row_count
    job_heartbeat(job=job, total=rows, done=0)
    content = return_pdf(document, timeout=settings.STUDENTFLOW_PDF_TIMEOUT + round(rows * SECONDS_PER_ROW))
    filename = f"{document.filename}.pdf"
    job.result_file.save(filename, ContentFile(content), save=False)
    return_export_audit(by=job.owner, document=document, file_format="pdf", params=form.params())
    job_finish(
        job=job,
        status=JobStatus.SUCCEEDED,
        message=ngettext("%(count)s row.", "%(count)s rows.", rows) % {"count": rows},
        result_file=job.result_file.name,
        result={**job.result, "filename": filename},
        done=rows,
        total=rows,
    )


def return_pdf_fail(*, job: Job, error: Exception) -> None:
    job_finish(
        job=job,
        status=JobStatus.FAILED,
        message=_("The return could not be printed: %(error)s") % {"error": error},
    )
