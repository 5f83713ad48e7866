"""The date and period forms of the compliance returns: read from the query string (GET), each refusing a
date that is not one, a period that ends before it starts or is longer than the reports allow, with a
message next to the field."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from modules.academics.models import AcademicYear, GradeLevel, Term
from modules.attendance import analytics
from modules.core.forms import DateInput

MAX_PERIOD_DAYS = analytics.MAX_PERIOD_DAYS


class ReturnForm(forms.Form):
    """The base: the fields a return asks for, bound to the query string (an empty query: the defaults)."""

    def __init__(self, data=None, *, today: datetime.date | None = None, **kwargs):
        super().__init__(data, **kwargs)
        self.today = today or timezone.localdate()

    def values(self) -> dict:
        """The cleaned values with the defaults filled in (call after is_valid, or on an unbound form);
        worked out once."""
        if not hasattr(self, "_values"):
            self._values = self.compute_values()
        return self._values

    def cleaned(self) -> dict:
        return dict(self.cleaned_data) if self.is_bound else {}

    def compute_values(self) -> dict:
        return self.cleaned()

    def params(self) -> dict[str, str]:
        """The values as the query string writes them (for the download links and the audit)."""
        return {
            key: value.isoformat() if hasattr(value, "isoformat") else str(getattr(value, "pk", value))
            for key, value in self.values().items()
            if value not in (None, "")
        }


def _period_check(form: forms.Form, start, end, *, field: str = "end") -> None:
    if bool(start) != bool(end):
        raise forms.ValidationError(_("Give both dates of the period, or neither."))
    if start and end:
        if end < start:
            form.add_error(field, _("The period must end on or after its first day."))
        elif (end - start).days + 1 > MAX_PERIOD_DAYS:
            form.add_error(field, _("Choose a period of at most %(days)s days.") % {"days": MAX_PERIOD_DAYS})


class NoInputForm(ReturnForm):
    """A return of the records as they stand today (the staff list)."""

    def compute_values(self) -> dict:
        return {"on": self.today}

    def params(self) -> dict[str, str]:
        return {}


class CensusForm(ReturnForm):
    on = forms.DateField(label=gettext_lazy("Census date"), required=False, widget=DateInput())
    start = forms.DateField(
        label=gettext_lazy("Movements from"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy("New enrolments and leavers are counted over this period."),
    )
    end = forms.DateField(label=gettext_lazy("Movements to"), required=False, widget=DateInput())

    def clean(self):
        data = super().clean() or {}
        _period_check(self, data.get("start"), data.get("end"))
        return data

    def compute_values(self) -> dict:
        data = self.cleaned()
        on = data.get("on") or self.today
        start, end = data.get("start"), data.get("end")
        if not start:
            # The census date's academic year so far (or the 30 days before it, outside any year).
            year = AcademicYear.objects.filter(start_date__lte=on, end_date__gte=on).order_by("start_date")
            first = year.values_list("start_date", flat=True).first()
            start, end = first or on - datetime.timedelta(days=29), on
        return {"on": on, "start": start, "end": end}


class ArrearsForm(ReturnForm):
    on = forms.DateField(
        label=gettext_lazy("On"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy("Today, or a later day to see what will be overdue by then."),
    )

    def clean_on(self):
        on = self.cleaned_data.get("on")
        if on and on < self.today:
            raise forms.ValidationError(
                _(
                    "Fees owed are counted from the balances the ledger holds today, so the date cannot be "
                    "in the past."
                )
            )
        return on

    def compute_values(self) -> dict:
        return {"on": self.cleaned().get("on") or self.today}


class PeriodForm(ReturnForm):
    """A term (the current one by default) or two dates."""

    term = forms.ModelChoiceField(
        label=gettext_lazy("Term"),
        queryset=Term.objects.none(),
        required=False,
        empty_label=gettext_lazy("Current term"),
    )
    start = forms.DateField(label=pgettext_lazy("date range", "From"), required=False, widget=DateInput())
    end = forms.DateField(label=pgettext_lazy("date range", "To"), required=False, widget=DateInput())
    grade = forms.ModelChoiceField(
        label=gettext_lazy("Students of"),
        queryset=GradeLevel.objects.order_by("order", "name"),
        required=False,
        empty_label=gettext_lazy("Every grade level"),
        help_text=gettext_lazy("The lines by student; the school's and grade levels' figures stay whole."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The latest twelve, as a subquery (a sliced queryset cannot look the chosen term up).
        latest = Term.objects.order_by("-start_date").values("pk")[:12]
        self.fields["term"].queryset = (
            Term.objects.filter(pk__in=latest).select_related("year").order_by("-start_date")
        )

    def clean(self):
        data = super().clean() or {}
        _period_check(self, data.get("start"), data.get("end"))
        return data

    def compute_values(self) -> dict:
        data = self.cleaned()
        return {
            "period": self.period(data),
            "term": data.get("term"),
            "start": data.get("start"),
            "end": data.get("end"),
            "grade": data.get("grade"),
        }

    def period(self, data: dict) -> analytics.ReportPeriod:
        if data.get("start") and data.get("end"):
            return analytics.so_far(data["start"], data["end"], "", self.today)
        term = data.get("term")
        if term is not None:
            return analytics.so_far(term.start_date, term.end_date, term.name, self.today, term_id=term.pk)
        return analytics.default_period(self.today)

    def params(self) -> dict[str, str]:
        data = self.cleaned()
        return {
            key: value.isoformat() if hasattr(value, "isoformat") else str(value.pk)
            for key, value in data.items()
            if value
        }
