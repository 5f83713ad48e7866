from __future__ import annotations

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from modules.academics.models import CourseOffering


class CourseOfferingTable(tables.Table):
    subject = tables.Column(verbose_name=_("Subject"), accessor="subject__name", order_by=("subject__name",))
    section = tables.LinkColumn(
        "academics:section_roster",
        args=[tables.A("section_id")],
        verbose_name=_("Section"),
        accessor="section__name",
        order_by=("section__grade_level__order", "section__name"),
    )
    grade_level = tables.Column(
        verbose_name=_("Grade level"),
        accessor="section__grade_level__name",
        order_by=("section__grade_level__order",),
    )
    teacher = tables.Column(
        verbose_name=_("Teacher"),
        accessor="teacher__full_name",
        default="—",
        order_by=("teacher__last_name",),
    )
    edit = tables.LinkColumn(
        "academics:offering_edit",
        args=[tables.A("pk")],
        text=_("Edit"),
        verbose_name=_("Actions"),
        orderable=False,
        attrs={"a": {"class": "btn btn-sm btn-outline-primary"}},
    )

    class Meta:
        model = CourseOffering
        fields = ["subject", "section", "grade_level", "teacher", "edit"]
        sequence = fields
        empty_text = _("No classes match these filters.")
