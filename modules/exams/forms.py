"""Forms of the teacher's gradebook: assessments, weighted categories, one cell, the office's list filters."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from modules.academics.models import GradeLevel, Subject, Term
from modules.core.forms import DateInput, PortalForm
from modules.exams.models import Assessment, AssessmentCategory


class AssessmentForm(PortalForm):
    class Meta:
        model = Assessment
        fields = ["name", "kind", "max_score", "date", "term", "category"]
        widgets = {"date": DateInput()}

    def __init__(self, *args, offering, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term"].queryset = Term.objects.filter(year_id=offering.section.year_id)
        self.fields["term"].empty_label = None
        self.fields["category"].queryset = AssessmentCategory.objects.filter(offering=offering)
        self.fields["category"].empty_label = _("No category")
        self.fields["max_score"].widget.attrs.update({"min": "0.01", "step": "0.01", "inputmode": "decimal"})
        if not self.fields["category"].queryset.exists():
            self.fields["category"].help_text = _("This class has no weighted categories: plain points.")


class CategoryForm(forms.ModelForm):
    class Meta:
        model = AssessmentCategory
        fields = ["name", "weight"]
        widgets = {"weight": forms.NumberInput(attrs={"min": "0", "max": "100", "step": "0.01"})}


class BaseCategoryFormSet(forms.BaseModelFormSet):
    """Rows to keep and rows to delete; the service checks that the weights total 100."""

    def clean(self):
        super().clean()
        names = [
            form.cleaned_data["name"].strip().lower()
            for form in self.forms
            if form.cleaned_data.get("name") and not form.cleaned_data.get("DELETE")
        ]
        if len(names) != len(set(names)):
            raise forms.ValidationError(_("Two categories have the same name."))

    def split(self) -> tuple[list[AssessmentCategory], list[AssessmentCategory]]:
        keep, delete = [], []
        for form in self.forms:
            if not form.cleaned_data:
                continue
            if form.cleaned_data.get("DELETE"):
                if form.instance.pk:
                    delete.append(form.instance)
                continue
            if form.instance.pk or form.has_changed():
                keep.append(form.save(commit=False))
        return keep, delete


CategoryFormSet = forms.modelformset_factory(
    AssessmentCategory, form=CategoryForm, formset=BaseCategoryFormSet, extra=2, can_delete=True
)


class CellForm(forms.Form):
    """One cell sent from the grid: which assessment and student, what was typed, what the cell showed when
    the page was drawn (the base: a mark changed since by someone else is not overwritten), the office's
    reason."""

    assessment = forms.IntegerField(min_value=1)
    student = forms.IntegerField(min_value=1)
    value = forms.CharField(max_length=20, required=False, strip=False)
    base = forms.CharField(max_length=20, required=False)
    reason = forms.CharField(max_length=300, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the change"), max_length=300, required=False)


class OfferingFilterForm(forms.Form):
    grade_level = forms.ModelChoiceField(
        label=_("Grade level"), queryset=GradeLevel.objects.all(), required=False, empty_label=_("All")
    )
    subject = forms.ModelChoiceField(
        label=_("Subject"), queryset=Subject.objects.all(), required=False, empty_label=_("All")
    )
    q = forms.CharField(label=_("Section or teacher"), max_length=60, required=False)


def max_score_text(value: Decimal) -> str:
    return f"{value.normalize():f}"
