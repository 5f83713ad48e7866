"""Forms of the billing pages: the invoice list's filters and the credit-note form."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy

from modules.academics.models import AcademicYear, GradeLevel, Section
from modules.core.params import query_id
from modules.fees.models import CENT, Invoice, InvoiceStatus


class InvoiceFilterForm(forms.Form):
    year = forms.ModelChoiceField(
        label=gettext_lazy("Academic year"), queryset=AcademicYear.objects.none(), required=False
    )
    grade_level = forms.ModelChoiceField(
        label=gettext_lazy("Grade level"),
        queryset=GradeLevel.objects.none(),
        required=False,
        empty_label=gettext_lazy("Every grade level"),
    )
    section = forms.ModelChoiceField(
        label=gettext_lazy("Section"),
        queryset=Section.objects.none(),
        required=False,
        empty_label=gettext_lazy("Every section"),
    )
    status = forms.ChoiceField(
        label=pgettext_lazy("invoice", "Status"),
        choices=[("", gettext_lazy("Any status")), *InvoiceStatus.choices],
        required=False,
    )
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)
    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("Student name, admission number or invoice number."),
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    def __init__(self, *args, default_year: AcademicYear | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_year = default_year
        self.fields["year"].queryset = AcademicYear.objects.order_by("-start_date")
        self.fields["year"].empty_label = None
        self.fields["grade_level"].queryset = GradeLevel.objects.order_by("order", "name")
        year_id = query_id(self.data.get("year")) or (default_year.pk if default_year else None)
        sections = Section.objects.select_related("grade_level").order_by("grade_level__order", "name")
        if year_id:
            sections = sections.filter(year_id=year_id)
        self.fields["section"].queryset = sections

    def chosen_year(self) -> AcademicYear | None:
        return (self.cleaned_data.get("year") if self.is_valid() else None) or self.default_year

    def filters(self) -> dict[str, str]:
        """The filters in force, for the audit of an export."""
        if not self.is_valid():
            return {}
        return {
            name: str(value) for name, value in self.cleaned_data.items() if value not in (None, "", False)
        }

    def queryset(self) -> QuerySet[Invoice]:
        invoices = Invoice.objects.select_related("student", "section__grade_level", "instalment")
        year = self.chosen_year()
        if year is not None:
            invoices = invoices.filter(year=year)
        if not self.is_valid():
            return invoices
        data = self.cleaned_data
        if data["grade_level"]:
            invoices = invoices.filter(section__grade_level=data["grade_level"])
        if data["section"]:
            invoices = invoices.filter(section=data["section"])
        if data["status"]:
            invoices = invoices.filter(status=data["status"])
        if data["overdue"]:
            invoices = invoices.filter(status=InvoiceStatus.OPEN, due_date__lt=timezone.localdate())
        query = data["q"].strip()
        if query:
            name = Q()
            for word in query.split():  # every word in the first or last name
                name &= Q(student__first_name__icontains=word) | Q(student__last_name__icontains=word)
            invoices = invoices.filter(
                Q(number__icontains=query) | Q(student__admission_number__icontains=query) | name
            )
        return invoices


class CreditNoteForm(forms.Form):
    amount = forms.DecimalField(label=gettext_lazy("Amount"), min_value=CENT, max_digits=12, decimal_places=2)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)

    def __init__(self, *args, creditable: Decimal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].widget.attrs.update(step="0.01", min="0.01", max=str(creditable))
        self.fields["amount"].help_text = gettext_lazy("At most what was invoiced and not yet credited.")
