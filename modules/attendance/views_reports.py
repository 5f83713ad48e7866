"""Attendance reports: the school (or a teacher's homeroom sections), one section, and the monthly register
of a section as PDF or XLSX. The office sees every section; a homeroom teacher the sections they lead."""

from __future__ import annotations

import datetime
from decimal import Decimal

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from modules.academics.models import Term
from modules.accounts import rules as account_rules
from modules.attendance import analytics, register_export
from modules.attendance.models import AttendancePolicy
from modules.attendance.patterns import (
    LOOKBACK_DAYS,
    patterns_by_student,
    patterns_detect,
    patterns_stored,
)
from modules.core.access import role_required
from modules.core.exports import export_refusal
from modules.core.htmx import render_page
from modules.core.pdf import pdf_response, render_pdf
from modules.core.spreadsheets import xlsx_response


class ReportPeriodForm(forms.Form):
    term = forms.ModelChoiceField(
        label=gettext_lazy("Term"),
        queryset=Term.objects.none(),
        required=False,
        empty_label=gettext_lazy("Current term"),
    )
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
    threshold = forms.DecimalField(
        label=gettext_lazy("Chronic absence at (%)"),
        required=False,
        min_value=Decimal("0.5"),
        max_value=Decimal("100"),
        max_digits=4,
        decimal_places=1,
        help_text=gettext_lazy("Students who missed at least this share of the days marked."),
    )

    def __init__(self, *args, policy: AttendancePolicy, **kwargs):
        super().__init__(*args, **kwargs)
        self.policy = policy
        # The latest twelve, as a subquery: a sliced queryset cannot look up the term chosen (every choice
        # was refused as invalid).
        latest = Term.objects.order_by("-start_date").values("pk")[:12]
        self.fields["term"].queryset = (
            Term.objects.filter(pk__in=latest).select_related("year").order_by("-start_date")
        )
        self.fields["threshold"].widget.attrs["placeholder"] = str(policy.chronic_absence_percent)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if bool(start) != bool(end):
            raise forms.ValidationError(_("Give both dates of the period, or neither."))
        if start and end:
            if end < start:
                self.add_error("end", _("The period must end on or after its first day."))
            elif (end - start).days + 1 > analytics.MAX_PERIOD_DAYS:
                self.add_error(
                    "end",
                    _("Choose a period of at most %(days)s days.") % {"days": analytics.MAX_PERIOD_DAYS},
                )
        return data

    def period(self, today: datetime.date) -> analytics.ReportPeriod:
        data = self.cleaned_data if self.is_bound else {}
        if data.get("start") and data.get("end"):
            return analytics.so_far(data["start"], data["end"], "", today)
        term = data.get("term")
        if term is not None:
            return analytics.so_far(term.start_date, term.end_date, term.name, today, term_id=term.pk)
        return analytics.default_period(today)

    def threshold_value(self) -> Decimal:
        data = self.cleaned_data if self.is_bound else {}
        return data.get("threshold") or self.policy.chronic_absence_percent


def _form(request, policy: AttendancePolicy) -> ReportPeriodForm:
    params = {key: value for key, value in request.GET.items() if key in ReportPeriodForm.base_fields}
    return ReportPeriodForm(params or None, policy=policy)


@require_GET
@role_required(analytics.may_see_reports)
def reports_overview(request):
    policy = AttendancePolicy.load()
    form = _form(request, policy)
    whole_school = account_rules.is_administrator(request.user)
    context = {"form": form, "policy": policy, "whole_school": whole_school, "lookback_days": LOOKBACK_DAYS}
    if not form.is_bound or form.is_valid():
        period = form.period(timezone.localdate())
        sections = list(analytics.report_sections(request.user, period))
        section_ids = None if whole_school else [section.pk for section in sections]
        with analytics.without_gc_pauses():
            overview = analytics.attendance_overview(
                sections=sections,
                period=period,
                mode=policy.modes,
                threshold=form.threshold_value(),
                whole_school=whole_school,
            )
            # Worked out on the queue for the current term so far; any other period is worked out now.
            stored = patterns_stored(
                end=period.end, mode=policy.modes, start=period.start, section_ids=section_ids
            )
            found, patterns_at = stored or (
                patterns_detect(
                    end=period.end,
                    mode=policy.modes,
                    section_ids=section_ids,
                    start=period.start,
                    grade_of={section.pk: section.grade_level_id for section in sections},
                ),
                None,
            )
        context |= {
            "overview": overview,
            "sections": sections,
            "patterns": patterns_by_student(found, {section.pk: section for section in sections}),
            "patterns_at": patterns_at,
        }
    return render_page(request, "attendance/reports_overview.html", context, partial="report")


@require_GET
@role_required(analytics.may_see_reports)
def reports_section(request, pk):
    section = analytics.section_for_reports(request.user, pk)
    policy = AttendancePolicy.load()
    form = _form(request, policy)
    context = {
        "form": form,
        "policy": policy,
        "section": section,
        "lookback_days": LOOKBACK_DAYS,
        "this_month": timezone.localdate().strftime("%Y-%m"),
    }
    if not form.is_bound or form.is_valid():
        period = form.period(timezone.localdate())
        report = analytics.section_report(
            section=section, period=period, mode=policy.modes, threshold=form.threshold_value()
        )
        found = patterns_detect(
            end=period.end,
            mode=policy.modes,
            section_ids=[section.pk],
            start=period.start,
            grade_of={section.pk: section.grade_level_id},
        )
        context |= {"report": report, "patterns": patterns_by_student(found, {section.pk: section})}
    return render_page(request, "attendance/reports_section.html", context, partial="report")


def _monthly(request, pk, file_format: str):
    section = analytics.section_for_reports(request.user, pk)
    month = register_export.parse_month(request.GET.get("month"))
    if month is None:
        messages.error(request, _("Choose a month as year and month, for example 2025-03."))
        return None, redirect(reverse("attendance:reports_section", kwargs={"pk": section.pk}))
    if refusal := export_refusal(request):
        return None, refusal
    register = register_export.monthly_register_export(
        section=section, month=month, by=request.user, file_format=file_format
    )
    return register, None


@require_GET
@role_required(analytics.may_see_reports)
def reports_monthly_pdf(request, pk):
    register, refused = _monthly(request, pk, "pdf")
    if refused:
        return refused
    content = render_pdf("attendance/monthly_register.html", {"register": register}, request=request)
    return pdf_response(content, f"register-{register.section.name}-{register.month:%Y-%m}.pdf")


@require_GET
@role_required(analytics.may_see_reports)
def reports_monthly_xlsx(request, pk):
    register, refused = _monthly(request, pk, "xlsx")
    if refused:
        return refused
    headers, rows = register_export.register_sheet(register)
    return xlsx_response(
        f"register-{register.section.name}-{register.month:%Y-%m}.xlsx",
        headers,
        rows,
        sheet_title=f"{register.section.name} {register.month:%Y-%m}",
    )
