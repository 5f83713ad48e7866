"""The office's choice of report cards to print or email: a term, and sections or a whole grade level."""

from __future__ import annotations

import datetime

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from modules.academics.models import GradeLevel, Section, Term


def current_or_latest_term(day: datetime.date) -> Term | None:
    """The term `day` falls in; between terms (or after the last), the latest that has started; before any
    has started, the first."""
    terms = Term.objects.order_by("start_date", "pk")
    return (
        terms.filter(start_date__lte=day, end_date__gte=day).first()
        or terms.filter(start_date__lte=day).last()
        or terms.first()
    )


class ReportCardChoiceForm(forms.Form):
    term = forms.ModelChoiceField(label=_("Term"), queryset=Term.objects.none())
    sections = forms.ModelMultipleChoiceField(
        label=_("Sections"),
        queryset=Section.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("One section, several, or none when you choose a whole grade level below."),
    )
    grade_level = forms.ModelChoiceField(
        label=_("Or a whole grade level"), queryset=GradeLevel.objects.all(), required=False
    )
    duplex = forms.BooleanField(
        label=_("Pad each card to an even number of pages (duplex printing)"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Calendar order, the term under way chosen (a person reads the list top to bottom as the year goes).
        self.fields["term"].queryset = Term.objects.select_related("year").order_by("start_date", "pk")
        if not self.is_bound and "term" not in self.initial:
            self.initial["term"] = current_or_latest_term(timezone.localdate())
        self.fields["sections"].queryset = Section.objects.select_related("year", "grade_level").order_by(
            "-year__start_date", "grade_level__order", "name"
        )
        self.fields["sections"].label_from_instance = lambda section: f"{section.name} ({section.year.name})"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean(self):
        cleaned = super().clean()
        term = cleaned.get("term")
        sections = list(cleaned.get("sections") or [])
        grade_level = cleaned.get("grade_level")
        if term is None:
            return cleaned
        if not sections and grade_level is None:
            raise forms.ValidationError(_("Choose at least one section, or a grade level."))
        if grade_level is not None:
            sections += list(Section.objects.filter(year_id=term.year_id, grade_level=grade_level))
            if not sections:
                self.add_error("grade_level", _("This grade level has no sections in the term's year."))
                return cleaned
        other_year = [section.name for section in sections if section.year_id != term.year_id]
        if other_year:
            self.add_error(
                "sections",
                _("These sections belong to another year than the term: %(names)s.")
                % {"names": ", ".join(sorted(set(other_year)))},
            )
        cleaned["chosen_sections"] = sorted(set(sections), key=lambda section: section.pk)
        return cleaned
