"""The bursar's pages: dashboard, aging, collections, cash-up and student statements (HTML and PDF).

The bursar and the office only (403 for anyone else signed in); a statement also for the student's own
guardians (404 for everyone else). Each list exports with `?format=xlsx` or `?format=csv` (the same filters),
audited and safe against formula injection.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from modules.academics.models import GradeLevel
from modules.core.audit import audit_log
from modules.core.exports import export_refusal
from modules.core.pdf import pdf_response, render_pdf
from modules.core.spreadsheets import csv_response, xlsx_response
from modules.fees import reports
from modules.fees.decorators import fee_staff_required
from modules.fees.models import Payment, PaymentMethod, Refund, fee_staff
from modules.fees.statement import statement, student_for_statement

PER_PAGE = 100
MAX_PERIOD_DAYS = 366
EXPORT_FORMATS = ("xlsx", "csv")


def _export(request, *, report: str, filename: str, headers, rows, filters: dict, sheet_title: str):
    """The spreadsheet the page's `?format=` asked for, audited (after a recent re-authentication)."""
    if refusal := export_refusal(request):
        return refusal
    file_format = request.GET["format"]
    reports.report_export_audit(
        by=request.user, report=report, file_format=file_format, rows=len(rows), filters=filters
    )
    headers = [str(header) for header in headers]
    if file_format == "csv":
        return csv_response(f"{filename}.csv", headers, rows)
    return xlsx_response(f"{filename}.xlsx", headers, rows, sheet_title=sheet_title)


def _wants_export(request) -> bool:
    return request.GET.get("format") in EXPORT_FORMATS


# --- dashboard ------------------------------------------------------------------------------------


@require_GET
@fee_staff_required
def dashboard(request):
    return render(request, "fees/dashboard.html", {"dashboard": reports.dashboard()})


# --- aging ----------------------------------------------------------------------------------------


class AgingFilterForm(forms.Form):
    bucket = forms.ChoiceField(label=gettext_lazy("Days past due"), required=False)
    grade = forms.ChoiceField(label=gettext_lazy("Grade level"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bucket"].choices = [
            ("", _("Every invoice owing")),
            *[(b.key, b.label) for b in reports.BUCKETS],
        ]
        self.fields["grade"].choices = [
            ("", _("Every grade level")),
            *[
                (str(pk), name)
                for pk, name in GradeLevel.objects.order_by("order", "name").values_list("pk", "name")
            ],
            ("none", reports.NO_GRADE),
        ]


@require_GET
@fee_staff_required
def aging(request):
    today = timezone.localdate()
    form = AgingFilterForm(request.GET)  # every filter is optional: an empty form is the whole school
    valid = form.is_valid()
    bucket = form.cleaned_data["bucket"] if valid else ""
    grade = form.cleaned_data["grade"] if valid else ""
    invoices = reports.aging_invoices(today=today, bucket=bucket, grade=grade)
    if valid and _wants_export(request):
        headers, rows = reports.aging_export_rows(invoices, today)
        return _export(
            request,
            report="aging",
            filename=f"fees-aging-{today:%Y-%m-%d}",
            headers=headers,
            rows=rows,
            filters={"bucket": bucket, "grade": grade},
            sheet_title=_("Aging"),
        )
    page = Paginator(invoices, PER_PAGE).get_page(request.GET.get("page")) if valid else None
    for invoice in page.object_list if page else ():
        invoice.days_past_due = (today - invoice.due_date).days
    context = {
        "form": form,
        "today": today,
        "report": reports.aging(today),
        "buckets": reports.BUCKETS,
        "bucket": bucket,
        "grade": grade,
        "page": page,
    }
    return render(request, "fees/report_aging.html", context)


# --- collections ----------------------------------------------------------------------------------


class CollectionsForm(forms.Form):
    start = forms.DateField(
        label=pgettext_lazy("date range", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        label=pgettext_lazy("date range", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    method = forms.ChoiceField(
        label=gettext_lazy("Method"),
        required=False,
        choices=[("", gettext_lazy("Every method")), *PaymentMethod.choices],
    )

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        start = data.get("start") or today.replace(day=1)
        end = data.get("end") or max(today, start)
        if end < start:
            self.add_error("end", _("The period must end on or after its first day."))
        elif (end - start).days + 1 > MAX_PERIOD_DAYS:
            self.add_error("end", _("Choose a period of at most %(days)s days.") % {"days": MAX_PERIOD_DAYS})
        data["start"], data["end"] = start, end
        return data


@require_GET
@fee_staff_required
def collections(request):
    today = timezone.localdate()
    form = CollectionsForm(request.GET or {})
    context = {"form": form, "today": today}
    if form.is_valid():
        start, end, method = form.cleaned_data["start"], form.cleaned_data["end"], form.cleaned_data["method"]
        payments = (
            reports.payments_between(start, end, method)
            .select_related("student", "recorded_by")
            .order_by("received_on", "created_at", "pk")
        )
        refunds = (
            reports.refunds_between(start, end, method)
            .select_related("payment__student", "recorded_by")
            .order_by("refunded_on", "created_at", "pk")
        )
        if _wants_export(request):
            headers, rows = reports.collections_export_rows(payments, refunds)
            return _export(
                request,
                report="collections",
                filename=f"fees-collections-{start:%Y-%m-%d}-{end:%Y-%m-%d}",
                headers=headers,
                rows=rows,
                filters={"start": start.isoformat(), "end": end.isoformat(), "method": method},
                sheet_title=_("Collections"),
            )
        context |= {
            "report": reports.collections(reports.Period(start, end), method),
            "page": Paginator(payments, PER_PAGE).get_page(request.GET.get("page")),
            "refunds": list(refunds),
        }
    return render(request, "fees/report_collections.html", context)


# --- cash-up --------------------------------------------------------------------------------------


class CashupForm(forms.Form):
    day = forms.DateField(
        label=gettext_lazy("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_day(self):
        return self.cleaned_data.get("day") or timezone.localdate()


@require_GET
@fee_staff_required
def cashup(request):
    form = CashupForm(request.GET or {})
    context = {"form": form}
    if form.is_valid():
        day: datetime.date = form.cleaned_data["day"]
        payments = (
            Payment.objects.filter(received_on=day)
            .select_related("student", "recorded_by")
            .order_by("method", "created_at", "pk")
        )
        if _wants_export(request):
            headers, rows = reports.cashup_export_rows(payments)
            return _export(
                request,
                report="cashup",
                filename=f"fees-cashup-{day:%Y-%m-%d}",
                headers=headers,
                rows=rows,
                filters={"day": day.isoformat()},
                sheet_title=_("Cash-up"),
            )
        context |= {
            "report": reports.cashup(day),
            "payments": list(payments),
            "refunds": list(
                Refund.objects.filter(refunded_on=day).select_related("payment__student", "recorded_by")
            ),
            "day": day,
        }
    return render(request, "fees/report_cashup.html", context)


# --- statements -----------------------------------------------------------------------------------


@require_GET
@login_required
def student_statement(request, pk):
    student = student_for_statement(request.user, pk)
    context = {"statement": statement(student), "is_fee_staff": fee_staff(request.user)}
    return render(request, "fees/report_statement.html", context)


@require_GET
@login_required
def student_statement_pdf(request, pk):
    student = student_for_statement(request.user, pk)
    audit_log(actor=request.user, action="fees.statement_pdf", obj=student)
    content = render_pdf("fees/pdf/statement.html", {"statement": statement(student)}, request=request)
    return pdf_response(content, f"statement-{student.admission_number}-{timezone.localdate():%Y-%m-%d}.pdf")
