"""The office's audit log: who changed what (AuditEvent) and which staff looked at which pupil's records
(RecordView), filtered by student, by person and by dates. Administrators only.

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
from django.utils.translation import gettext_lazy as _

from modules.core.models import AuditEvent, RecordView, RecordViewKind
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
