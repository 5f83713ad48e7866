"""The compliance returns pages: the list of returns, and each return for a date or a period, shown on the
page and downloaded as PDF or XLSX (`?format=pdf|xlsx`, the same query). Administrators only.

A PDF longer than a request can lay out (a table of more than PDF_ROWS rows) is prepared on the queue
instead (`return_pdf_prepare`, a POST from the page: modules/reports/returns_jobs.py), and its job's page
gives the download. A download is an export of student (or staff) data: it needs a recent sign-in and counts
against the export rate limit (modules.core.exports), and it is audited."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from modules.accounts.rules import is_administrator
from modules.core.access import role_required
from modules.core.exports import export_refusal
from modules.core.htmx import render_page
from modules.core.pdf import pdf_response
from modules.core.spreadsheets import xlsx_response
from modules.reports.returns import ReturnDocument, return_export_audit
from modules.reports.returns_catalogue import RETURNS, return_kind
from modules.reports.returns_jobs import return_pdf, return_pdf_queued, return_pdf_start

FORMATS = ("pdf", "xlsx")


@require_GET
@role_required(is_administrator)
def returns_list(request):
    kinds = [(kind, kind.form(auto_id=f"{kind.slug}-%s")) for kind in RETURNS]
    return render_page(request, "reports/returns/list.html", {"kinds": kinds})


@require_GET
@role_required(is_administrator)
def return_detail(request, slug):
    kind = return_kind(slug)
    form = _form(kind, request.GET)
    context = {"kind": kind, "form": form}
    if form.is_bound and not form.is_valid():
        return render_page(request, "reports/returns/detail.html", context)
    file_format = request.GET.get("format", "")
    if file_format == "xlsx" and (refusal := export_refusal(request)):
        return refusal
    document = kind.build(values=form.values(), user=request.user)
    queued = return_pdf_queued(document)
    # A PDF too long for a request is not an export here (the page says how to have it prepared): it asks
    # for no recent sign-in and counts against no limit.
    if file_format == "pdf" and not queued and (refusal := export_refusal(request)):
        return refusal
    if file_format in FORMATS and not (file_format == "pdf" and queued):
        response = _download(request, document, file_format)  # audited once made (a PDF may fail)
        return_export_audit(by=request.user, document=document, file_format=file_format, params=form.params())
        return response
    context |= {
        "document": document,
        "query": urlencode(form.params()),
        "params": form.params(),
        "pdf_queued": queued,
        # A link to the PDF of a return that has grown past what a request prints (an old bookmark): the
        # page, saying how to have it prepared.
        "pdf_asked": file_format == "pdf",
    }
    return render_page(request, "reports/returns/detail.html", context)


@require_POST
@role_required(is_administrator)
def return_pdf_prepare(request, slug):
    """Prepare the return's PDF on the queue (every row); its job's page shows the progress and the
    download."""
    kind = return_kind(slug)
    form = _form(kind, request.POST)
    if form.is_bound and not form.is_valid():
        return render_page(request, "reports/returns/detail.html", {"kind": kind, "form": form}, status=400)
    if refusal := export_refusal(request):
        return refusal
    job = return_pdf_start(kind=kind, params=form.params(), user=request.user)
    return redirect("job_progress", job.pk)


def _form(kind, data):
    """The return's form bound to the fields it asks for (none given: unbound, the defaults)."""
    return kind.form({key: value for key, value in data.items() if key in kind.form.base_fields} or None)


def _download(request, document: ReturnDocument, file_format: str) -> HttpResponse:
    if file_format == "pdf":
        return pdf_response(return_pdf(document, request=request), f"{document.filename}.pdf")
    title, headers, rows, sheets = document.xlsx_sheets()
    return xlsx_response(f"{document.filename}.xlsx", headers, rows, sheet_title=title, extra_sheets=sheets)
