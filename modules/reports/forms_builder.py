"""The report builder's form: the definition of a report over one data set (columns, filters, grouping,
sorting, the term), and, to save it, its name and who it is shared with."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from modules.academics.models import Term
from modules.accounts.models import User
from modules.core.forms import DateInput
from modules.reports.builder import (
    MAX_FILTERS,
    OPERATORS,
    Definition,
    DefinitionError,
    Filter,
    definition_check,
    staff_roles,
)
from modules.reports.builder_schedules import recipients_refused
from modules.reports.datasets import BOOLEAN, DATE, NUMERIC, Column, Dataset
from modules.reports.models import ScheduleFrequency


def filter_names(index: int) -> tuple[str, str, str]:
    return f"filter_{index}_field", f"filter_{index}_op", f"filter_{index}_value"


def value_widget(column: Column | None) -> forms.Widget:
    """A filter's value asked for as the list pages ask for that kind of value: one of the column's choices
    or of the school's sections or grade levels (a list), a date (the date picker), yes or no, a number
    (typed as text with a decimal keyboard: "2,5" is read as 2.5 rather than dropped, as a number field
    would), or text."""
    if column is None:
        return forms.TextInput()
    if column.choices:
        return forms.Select(choices=[("", _("(choose)")), *column.choices])
    if column.options is not None:  # the school's names, read when the list is drawn
        names = column.options
        return forms.Select(choices=lambda: [("", _("(choose)")), *((name, name) for name in names())])
    if column.kind == DATE:
        return DateInput()
    if column.kind == BOOLEAN:
        return forms.Select(choices=[("", _("(choose)")), ("yes", _("yes")), ("no", _("no"))])
    if column.kind in NUMERIC:
        return forms.TextInput(attrs={"inputmode": "decimal"})
    return forms.TextInput()


def _shows(widget: forms.Widget, value: str) -> bool:
    if isinstance(widget, forms.Select):
        return any(str(choice) == value for choice, _label in widget.choices)
    if isinstance(widget, DateInput):
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            return False
    return True


def _widget_class(widget: forms.Widget) -> str:
    return "form-select" if isinstance(widget, forms.Select) else "form-control"


class BuilderForm(forms.Form):
    """What the report shows. Bound from the page's query string (the preview) or its post (saving); a
    column or a filter field the data set does not have is refused by name."""

    columns = forms.MultipleChoiceField(label=_("Columns"), widget=forms.CheckboxSelectMultiple)
    group_by = forms.ChoiceField(label=_("Group by"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False)
    descending = forms.BooleanField(label=_("Largest (or latest) first"), required=False)

    def __init__(self, *args, dataset: Dataset, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.dataset, self.user = dataset, user
        self.definition: Definition | None = None
        self.groups: int | None = None
        choices = [(column.key, column.label) for column in dataset.columns]
        unknown = _("The data set “%(dataset)s” has no column “%%(value)s”.") % {"dataset": dataset.label}
        self.fields["columns"].choices = choices
        self.fields["columns"].error_messages["invalid_choice"] = unknown
        self.fields["columns"].initial = list(dataset.default_columns)
        for name in ("group_by", "sort"):
            self.fields[name].choices = [("", _("(none)")), *choices]
            self.fields[name].error_messages["invalid_choice"] = unknown
        # A figure counted per row (attendance) can be filtered and sorted by, not grouped by.
        self.fields["group_by"].choices = [
            ("", _("(none)")),
            *((column.key, column.label) for column in dataset.columns if column.groupable),
        ]
        self.fields["group_by"].error_messages["invalid_choice"] = _(
            "The data set “%(dataset)s” cannot be grouped by “%%(value)s”."
        ) % {"dataset": dataset.label}
        if dataset.uses_term:
            self.fields["term"] = forms.ModelChoiceField(
                label=_("Term"),
                queryset=Term.objects.select_related("year").order_by("-start_date"),
                empty_label=None,
            )
        no_field = _("The data set “%(dataset)s” has no field “%%(value)s”.") % {"dataset": dataset.label}
        for index in range(1, MAX_FILTERS + 1):
            field, op, value = filter_names(index)
            self.fields[field] = forms.ChoiceField(
                label=_("Filter %(number)s: field") % {"number": index},
                choices=[("", _("(no filter)")), *choices],
                required=False,
                error_messages={"invalid_choice": no_field},
            )
            self.fields[op] = forms.ChoiceField(
                label=_("Filter %(number)s: comparison") % {"number": index},
                choices=list(OPERATORS.items()),
                required=False,
            )
            self.fields[value] = forms.CharField(
                label=_("Filter %(number)s: value") % {"number": index},
                required=False,
                max_length=200,
                # The field chosen (submitted, or the saved report's) decides the input; the page swaps it
                # as another field is chosen (report_builder.js, from `value_inputs`).
                widget=self._value_widget(dataset.column(self._chosen(field)), self._chosen(value)),
            )

    @staticmethod
    def _value_widget(column: Column | None, value: str) -> forms.Widget:
        """The column's input, unless the value given (a link, a page without scripts) is not one it can
        show: a date input or a list would show it empty, so it stays in a text box beside its error."""
        widget = value_widget(column)
        if value.strip() and not _shows(widget, value.strip()):
            return forms.TextInput()
        return widget

    def _chosen(self, name: str) -> str:
        value = self.data.get(name) if self.is_bound else self.initial.get(name)
        return value if isinstance(value, str) else ""

    def value_inputs(self) -> list[tuple[str, str]]:
        """(column key, the value input for it) for each column a filter can use, and "" for none: what
        the page's script puts in a filter's place when its field changes. `__name__` stands for the
        filter's own name."""
        inputs = []
        for column in [None, *self.dataset.columns]:
            widget = value_widget(column)
            attrs = {"class": _widget_class(widget)}
            inputs.append((column.key if column else "", widget.render("__name__", None, attrs=attrs)))
        return inputs

    def filter_rows(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [tuple(self[name] for name in filter_names(index)) for index in range(1, MAX_FILTERS + 1)]  # type: ignore[misc]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        if self.errors:
            return cleaned
        filters = []
        for index in range(1, MAX_FILTERS + 1):
            field, op, value = (cleaned.get(name) or "" for name in filter_names(index))
            if not field:
                continue
            if not value.strip():
                self.add_error(
                    filter_names(index)[2], _("Give a value to compare with, or remove the filter.")
                )
                continue
            filters.append(Filter(field, op or "eq", value))
        if self.errors:
            return cleaned
        definition = Definition(
            dataset=self.dataset,
            columns=list(cleaned["columns"]),
            filters=filters,
            group_by=cleaned.get("group_by") or "",
            sort=cleaned.get("sort") or "",
            descending=bool(cleaned.get("descending")),
            term=cleaned.get("term"),
        )
        try:
            self.groups = definition_check(definition, self.user)
        except DefinitionError as error:
            for message in error.messages:
                self.add_error(None, message)
            return cleaned
        self.definition = definition
        return cleaned


def _staff_users():
    return (
        User.objects.filter(staff_profile__is_active=True, is_active=True)
        .select_related("staff_profile")
        .order_by("last_name", "first_name", "email")
    )


class StaffChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.get_full_name() or obj.email} ({obj.staff_profile.get_position_display()})"


class SaveForm(forms.Form):
    """The report's name and who else may open it (each in their own scope)."""

    name = forms.CharField(label=_("Report name"), max_length=120)
    share_roles = forms.MultipleChoiceField(
        label=_("Share with everyone who is"), required=False, widget=forms.CheckboxSelectMultiple
    )
    share_users = StaffChoiceField(
        label=_("Share with colleagues"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("They see the report with what they may see themselves, never more."),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["share_roles"].choices = staff_roles()
        self.fields["share_users"].queryset = _staff_users()


class ScheduleForm(forms.Form):
    """Send the report on a schedule to chosen staff, each receiving it run in their own scope."""

    frequency = forms.ChoiceField(label=_("How often"), choices=ScheduleFrequency.choices)
    first_run = forms.DateField(label=_("First sent on"), widget=DateInput)
    recipients = StaffChoiceField(
        label=_("Send to"),
        queryset=User.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Each receives the report with what they may see themselves."),
    )

    def __init__(self, *args, report, **kwargs):
        super().__init__(*args, **kwargs)
        self.report = report
        self.fields["recipients"].queryset = _staff_users()
        self.fields["first_run"].initial = timezone.localdate() + datetime.timedelta(days=1)

    def clean_first_run(self):
        day = self.cleaned_data["first_run"]
        if day < timezone.localdate():
            raise forms.ValidationError(_("Choose today or a later day."))
        return day

    def clean_recipients(self):
        recipients = list(self.cleaned_data["recipients"])
        refused = recipients_refused(self.report, recipients)
        if refused:
            raise forms.ValidationError(refused)
        return recipients
