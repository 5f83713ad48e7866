"""The office's audit log: who changed what (AuditEvent) and which staff looked at which pupil's records
(RecordView), filtered by student, by person (a staff member, or anyone who acted), by kind (the event's
action, or what was looked at) and by dates, and exported as CSV or XLSX (`audit_export`: the filtered rows,
behind core's export guard, itself audited). Administrators only.

It lives with people rather than in core: finding "this student's" entries needs the Student table, and
core sits below people.
"""

from __future__ import annotations

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from modules.core.audit import audit_log
from modules.core.models import AuditEvent, RecordView, RecordViewKind
from modules.core.spreadsheets import csv_response, xlsx_response
from modules.people.models import Student

STUDENT_TYPE = Student._meta.label_lower


class DateInput(forms.DateInput):
    input_type = "date"


class AuditFilterBase(django_filters.FilterSet):
    """What both lists share: the student, the person who acted, and a range of days."""

    student = django_filters.CharFilter(
        label=_("Student"), method="filter_student", help_text=_("Name or admission number.")
    )
    actor = django_filters.CharFilter(label=_("Who"), method="filter_actor", help_text=_("Name or email."))
    start = django_filters.DateFilter(label=_("From"), method="filter_start", widget=DateInput())
    end = django_filters.DateFilter(label=_("To"), method="filter_end", widget=DateInput())
    day_lookup = "at__date"

    def filter_student(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        matches = Q()
        for term in value.split()[:5]:
            matches &= (
                Q(first_name__icontains=term)
                | Q(last_name__icontains=term)
                | Q(admission_number__iexact=term)
            )
        # One query: the matching students' ids, as the text the log stores, in a subquery.
        ids = Student.objects.filter(matches).annotate(text_id=Cast("pk", CharField())).values("text_id")
        return queryset.filter(object_type=STUDENT_TYPE, object_id__in=ids)

    def filter_actor(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        people = get_user_model().objects.all()
        for term in value.split()[:5]:
            people = people.filter(
                Q(email__icontains=term) | Q(first_name__icontains=term) | Q(last_name__icontains=term)
            )
        return queryset.filter(actor__in=people.values("pk"))

    def filter_start(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(**{f"{self.day_lookup}__gte": value})

    def filter_end(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(**{f"{self.day_lookup}__lte": value})


class AuditEventFilter(AuditFilterBase):
    action = django_filters.CharFilter(
        label=_("Action"),
        lookup_expr="startswith",
        help_text=_("For example student. or fees.invoice_export"),
    )

    class Meta:
        model = AuditEvent
        fields = ["student", "actor", "action", "start", "end"]


class RecordViewFilter(AuditFilterBase):
    kind = django_filters.ChoiceFilter(label=_("What"), choices=RecordViewKind.choices)
    day_lookup = "day"

    class Meta:
        model = RecordView
        fields = ["student", "actor", "kind", "start", "end"]


def _actor_name(record) -> str:
    actor = record.actor
    if actor is None:
        return "—"
    return actor.get_full_name() or actor.email


class AuditEventTable(tables.Table):
    at = tables.DateTimeColumn(verbose_name=_("When"), format="Y-m-d H:i")
    actor = tables.Column(verbose_name=_("Who"), order_by=("actor__last_name", "actor__first_name"))
    action = tables.Column(verbose_name=_("Action"))
    object_repr = tables.Column(verbose_name=_("Record"), orderable=False)
    changes = tables.Column(verbose_name=_("Details"), empty_values=(), orderable=False)

    class Meta:
        model = AuditEvent
        fields = ["at", "actor", "action", "object_repr", "changes"]
        sequence = fields
        order_by = "-at"
        empty_text = _("No changes match these filters.")
        template_name = "components/table.html"

    def render_actor(self, record):
        return _actor_name(record)

    def render_changes(self, record):
        parts = []
        if record.before:
            parts.append(_("before: %(values)s") % {"values": _summary(record.before)})
        if record.after:
            parts.append(_("after: %(values)s") % {"values": _summary(record.after)})
        if record.reason:
            parts.append(_("reason: %(reason)s") % {"reason": record.reason})
        return "; ".join(str(part) for part in parts)[:300] or "—"


class RecordViewTable(tables.Table):
    day = tables.DateColumn(verbose_name=_("Day"), format="Y-m-d")
    actor = tables.Column(verbose_name=_("Who"), order_by=("actor__last_name", "actor__first_name"))
    kind = tables.Column(verbose_name=_("What"))
    object_repr = tables.Column(verbose_name=_("Student"), orderable=False)
    count = tables.Column(verbose_name=_("Times"))
    last_at = tables.DateTimeColumn(verbose_name=_("Last seen"), format="H:i")

    class Meta:
        model = RecordView
        fields = ["day", "actor", "kind", "object_repr", "count", "last_at"]
        sequence = fields
        order_by = "-last_at"
        empty_text = _("No record views match these filters.")
        template_name = "components/table.html"

    def render_actor(self, record):
        return _actor_name(record)


def _summary(values) -> str:
    if isinstance(values, dict):
        return ", ".join(f"{key}={value}" for key, value in values.items())
    return str(values)


EXPORT_FORMATS = ("csv", "xlsx")
# An export is built while the office waits: beyond this many rows it is refused, with a message asking for
# narrower filters (dates), rather than holding a worker and its memory.
EXPORT_MAX_ROWS = 20_000


def _changes_row(event: AuditEvent) -> list:
    return [
        timezone.localtime(event.at).replace(tzinfo=None),
        _actor_name(event),
        event.actor.email if event.actor else "",
        event.action,
        event.object_type,
        event.object_id,
        event.object_repr,
        _summary(event.before) if event.before else "",
        _summary(event.after) if event.after else "",
        event.reason,
    ]


def _views_row(view: RecordView) -> list:
    return [
        view.day,
        _actor_name(view),
        view.actor.email if view.actor else "",
        view.get_kind_display(),
        view.object_repr,
        view.count,
        timezone.localtime(view.first_at).replace(tzinfo=None),
        timezone.localtime(view.last_at).replace(tzinfo=None),
    ]


def _export_layout(show: str) -> tuple[list[str], object, str]:
    if show == "views":
        headers = [
            gettext("Day"),
            gettext("Who"),
            gettext("Email"),
            gettext("What"),
            gettext("Student"),
            gettext("Times"),
            gettext("First seen"),
            gettext("Last seen"),
        ]
        return headers, _views_row, gettext("Record views")
    headers = [
        gettext("When"),
        gettext("Who"),
        gettext("Email"),
        gettext("Action"),
        gettext("Object type"),
        gettext("Object id"),
        gettext("Record"),
        gettext("Before"),
        gettext("After"),
        gettext("Reason"),
    ]
    return headers, _changes_row, gettext("Audit log")


def audit_export_refusal(queryset: QuerySet) -> str:
    """Why the filtered rows cannot be exported ("" when they can)."""
    count = queryset.count()
    if count > EXPORT_MAX_ROWS:
        return gettext(
            "%(count)s rows match these filters; an export holds at most %(limit)s. Narrow the dates or "
            "the other filters and export again."
        ) % {"count": count, "limit": EXPORT_MAX_ROWS}
    return ""


def audit_export(*, request, show: str, queryset: QuerySet, file_format: str, filters: dict) -> HttpResponse:
    """The filtered rows of the tab as CSV or XLSX, oldest first; the export is itself an audit event."""
    headers, row_of, title = _export_layout(show)
    ordering = ("day", "last_at", "pk") if show == "views" else ("at", "pk")
    rows = [row_of(record) for record in queryset.order_by(*ordering)]
    audit_log(
        actor=request.user,
        action="people.audit_log_export",
        model=queryset.model,
        description=ngettext("Audit log (%(count)s row)", "Audit log (%(count)s rows)", len(rows))
        % {"count": len(rows)},
        after={"format": file_format, "tab": show, "rows": len(rows), "filters": filters},
    )
    filename = f"audit-log-{show}-{timezone.localdate():%Y-%m-%d}"
    if file_format == "csv":
        return csv_response(f"{filename}.csv", headers, rows)
    return xlsx_response(f"{filename}.xlsx", headers, rows, sheet_title=title)
