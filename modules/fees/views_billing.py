"""Billing pages for the bursar and the office (invoice list, detail, credit notes) and the invoice and
credit-note PDFs (also for guardians, of their own children's invoices)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from modules.academics.selectors import current_year
from modules.core.audit import audit_log
from modules.core.exports import export_refusal
from modules.core.htmx import render_page
from modules.core.models import SchoolProfile
from modules.core.pdf import pdf_response, render_pdf
from modules.core.spreadsheets import csv_response, xlsx_response
from modules.fees import ledger
from modules.fees.decorators import fee_staff_required
from modules.fees.forms_billing import CreditNoteForm, InvoiceFilterForm
from modules.fees.models import INVOICE_OWED, ZERO, CreditNote, Invoice

PER_PAGE = 50
EXPORT_FORMATS = ("xlsx", "csv")


def get_invoice_for_user(request, pk) -> Invoice:
    """The invoice if this user may see it (office: all; a guardian: their children's), else 404."""
    invoices = Invoice.objects.visible_to(request.user).select_related(
        "student", "section__grade_level", "year", "instalment"
    )
    return get_object_or_404(invoices.distinct(), pk=pk)


@require_GET
@login_required
def invoice_pdf(request, pk):
    invoice = get_invoice_for_user(request, pk)
    content = render_pdf(
        "fees/pdf/invoice.html",
        {
            "school": SchoolProfile.load(),
            "invoice": invoice,
            "lines": list(invoice.lines.all()),
            "credit_notes": list(invoice.credit_notes.order_by("created_at")),
            "bill_to": _bill_to(invoice),
            "printed_at": timezone.now(),
        },
        request=request,
    )
    return pdf_response(content, f"{invoice.number}.pdf")


def _bill_to(invoice: Invoice):
    """The guardian the invoice is addressed to: the primary contact, else the first linked."""
    link = invoice.student.guardian_links.select_related("guardian").order_by("-is_primary", "pk").first()
    return link.guardian if link else None


@require_GET
@login_required
def credit_note_pdf(request, pk):
    notes = CreditNote.objects.filter(invoice__in=Invoice.objects.visible_to(request.user)).select_related(
        "invoice__student", "invoice__section", "invoice__year"
    )
    note = get_object_or_404(notes, pk=pk)
    content = render_pdf(
        "fees/pdf/credit_note.html",
        {"school": SchoolProfile.load(), "note": note, "invoice": note.invoice, "printed_at": timezone.now()},
        request=request,
    )
    return pdf_response(content, f"{note.number}.pdf")


# --- invoice list ------------------------------------------------------------------------------------


def _totals(invoices) -> dict:
    totals = invoices.order_by().aggregate(
        n=Count("pk"),
        billed=Sum("total"),
        paid=Sum("amount_paid"),
        credited=Sum("amount_credited"),
        outstanding=Sum(INVOICE_OWED),
    )
    return {
        "count": totals["n"],
        "total": totals["billed"] or ZERO,
        "paid": totals["paid"] or ZERO,
        "credited": totals["credited"] or ZERO,
        "balance": totals["outstanding"] or ZERO,
    }


def _export_headers() -> list[str]:
    return [
        _("Invoice"),
        _("Admission number"),
        _("Last name"),
        _("First name"),
        _("Grade level"),
        _("Section"),
        _("Instalment"),
        _("Issued on"),
        _("Due date"),
        _("Total"),
        _("Paid"),
        _("Credited"),
        _("Balance"),
        _("Status"),
        _("Overdue"),
    ]


def _export_rows(invoices) -> list[list]:
    today = timezone.localdate()
    return [
        [
            invoice.number,
            invoice.student.admission_number,
            invoice.student.last_name,
            invoice.student.first_name,
            str(invoice.section.grade_level) if invoice.section else "",
            invoice.section.name if invoice.section else "",
            invoice.instalment.label if invoice.instalment else "",
            invoice.issued_on,
            invoice.due_date,
            invoice.total,
            invoice.amount_paid,
            invoice.amount_credited,
            invoice.balance,
            invoice.get_status_display(),
            _("Yes") if invoice.is_overdue(today) else "",
        ]
        for invoice in invoices.order_by("number")
    ]


def _invoice_export(request, form, invoices):
    file_format = request.GET["format"]
    rows = _export_rows(invoices)
    audit_log(
        actor=request.user,
        action="fees.invoice_export",
        model=Invoice,
        description=_("Invoices (%(count)s rows)") % {"count": len(rows)},
        after={"format": file_format, "rows": len(rows), "filters": form.filters()},
    )
    filename = f"invoices-{timezone.localdate():%Y-%m-%d}"
    if file_format == "csv":
        return csv_response(f"{filename}.csv", _export_headers(), rows)
    return xlsx_response(f"{filename}.xlsx", _export_headers(), rows, sheet_title=str(_("Invoices")))


@require_GET
@fee_staff_required
def invoice_list(request):
    """Invoices of a year, filtered by grade level, section, status, overdue and a search; with totals, and
    the same list as XLSX or CSV (?format=)."""
    form = InvoiceFilterForm(request.GET or None, default_year=current_year())
    invoices = form.queryset()
    if request.GET.get("format") in EXPORT_FORMATS:
        return export_refusal(request) or _invoice_export(request, form, invoices)
    page = Paginator(invoices.order_by("-issued_on", "-number"), PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    context = {
        "form": form,
        "page": page,
        "totals": _totals(invoices),
        "today": timezone.localdate(),
        "query": query.urlencode(),
    }
    return render_page(request, "fees/invoice_list.html", context, partial="results")


# --- invoice detail and credit notes -----------------------------------------------------------------


def _detail(request, invoice: Invoice, *, form=None, status=200):
    context = {
        "invoice": invoice,
        "lines": list(invoice.lines.all()),
        "allocations": list(invoice.allocations.select_related("payment").order_by("created_at")),
        "credit_notes": list(invoice.credit_notes.select_related("created_by").order_by("created_at")),
        "reminders": [
            {"sent_at": r.sent_at, "days": abs(r.days), "before": r.days < 0}
            for r in invoice.reminders.order_by("sent_at")
        ],
        "today": timezone.localdate(),
        "form": form or CreditNoteForm(creditable=invoice.creditable),
        "can_credit": invoice.creditable > 0,
        "overdue": invoice.is_overdue(),
    }
    return render(request, "fees/invoice_detail.html", context, status=status)


@require_GET
@fee_staff_required
def invoice_detail(request, pk):
    return _detail(request, get_invoice_for_user(request, pk))


@require_POST
@fee_staff_required
def credit_note_create(request, pk):
    invoice = get_invoice_for_user(request, pk)
    form = CreditNoteForm(request.POST, creditable=invoice.creditable)
    if form.is_valid():
        try:
            note = ledger.issue_credit_note(
                invoice_id=invoice.pk,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ledger.LedgerError as error:
            form.add_error("amount", str(error))
        else:
            messages.success(request, _("Credit note %(number)s issued.") % {"number": note.number})
            return redirect("fees:invoice_detail", pk=invoice.pk)
    return _detail(request, invoice, form=form)
