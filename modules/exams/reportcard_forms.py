"""The office's choice of report cards to print or email: a term, and sections or a whole grade level."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from modules.academics.models import GradeLevel, Section, Term


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
        self.fields["term"].queryset = Term.objects.select_related("year").order_by("-start_date")
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
