"""The compliance returns pages: the list of returns, and each return for a date or a period, shown on the
page and downloaded as PDF or XLSX (`?format=pdf|xlsx`, the same query). Administrators only.

A download is an export of student (or staff) data: it needs a recent sign-in and counts against the export
rate limit (modules.core.exports), and it is audited."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from modules.accounts.rules import is_administrator
from modules.core.access import role_required
from modules.core.exports import export_refusal
from modules.core.htmx import render_page
from modules.core.models import SchoolProfile
from modules.core.pdf import pdf_response, render_pdf
from modules.core.spreadsheets import xlsx_response
from modules.reports.returns import ReturnDocument, return_export_audit
from modules.reports.returns_catalogue import RETURNS, return_kind

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
    data = {key: value for key, value in request.GET.items() if key in kind.form.base_fields}
    form = kind.form(data or None)
    context = {"kind": kind, "form": form}
    if form.is_bound and not form.is_valid():
        return render_page(request, "reports/returns/detail.html", context)
    file_format = request.GET.get("format", "")
    if file_format in FORMATS and (refusal := export_refusal(request)):
        return refusal
    document = kind.build(values=form.values(), user=request.user)
    if file_format in FORMATS:
        response = _download(request, document, file_format)  # audited once made (a PDF may fail)
        return_export_audit(by=request.user, document=document, file_format=file_format, params=form.params())
        return response
    context |= {"document": document, "query": urlencode(form.params())}
    return render_page(request, "reports/returns/detail.html", context)


def _download(request, document: ReturnDocument, file_format: str) -> HttpResponse:
    if file_format == "pdf":
        context = {"document": document, "school": SchoolProfile.load(), "generated_at": timezone.now()}
        content = render_pdf("reports/returns/pdf.html", context, request=request)
        return pdf_response(content, f"{document.filename}.pdf")
    title, headers, rows, sheets = document.xlsx_sheets()
    return xlsx_response(f"{document.filename}.xlsx", headers, rows, sheet_title=title, extra_sheets=sheets)
