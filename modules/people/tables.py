from __future__ import annotations

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from modules.people.models import Guardian, Staff, Student

# Record links leave the list: they must not be boosted into the results region like sort and page links.
OPEN_RECORD = {"a": {"hx-boost": "false"}}


class StudentTable(tables.Table):
    admission_number = tables.Column(verbose_name=_("Adm. no."))
    name = tables.LinkColumn(
        "people:student_detail",
        args=[tables.A("pk")],
        verbose_name=_("Name"),
        order_by=("last_name", "first_name"),
        accessor="full_name",
        attrs=OPEN_RECORD,
    )
    section_name = tables.Column(verbose_name=_("Section"), default="—")
    grade_name = tables.Column(
        verbose_name=_("Grade level"), default="—", order_by=("grade_order", "section_name")
    )
    date_of_birth = tables.DateColumn(verbose_name=_("Date of birth"), format="Y-m-d")
    is_active = tables.BooleanColumn(verbose_name=_("Active"))

    class Meta:
        model = Student
        fields = ["admission_number", "name", "section_name", "grade_name", "date_of_birth", "is_active"]
        sequence = fields
        empty_text = _("No students match these filters.")
        template_name = "people/student_table.html"


class GuardianTable(tables.Table):
    name = tables.LinkColumn(
        "people:guardian_detail",
        args=[tables.A("pk")],
        verbose_name=_("Name"),
        order_by=("last_name", "first_name"),
        accessor="full_name",
        attrs=OPEN_RECORD,
    )
    email = tables.EmailColumn(verbose_name=_("Email"))
    phone = tables.Column(verbose_name=_("Phone"))
    children_count = tables.Column(verbose_name=_("Children"))
    has_login = tables.BooleanColumn(verbose_name=_("Login"), accessor="user_id", orderable=False)

    class Meta:
        model = Guardian
        fields = ["name", "email", "phone", "children_count", "has_login"]
        sequence = fields
        empty_text = _("No guardians match these filters.")


class StaffTable(tables.Table):
    staff_number = tables.Column(verbose_name=_("Staff no."))
    name = tables.LinkColumn(
        "people:staff_detail",
        args=[tables.A("pk")],
        verbose_name=_("Name"),
        order_by=("last_name", "first_name"),
        accessor="full_name",
        attrs=OPEN_RECORD,
    )
    position = tables.Column(verbose_name=_("Position"))
    job_title = tables.Column(verbose_name=_("Job title"))
    email = tables.EmailColumn(verbose_name=_("Email"))
    is_active = tables.BooleanColumn(verbose_name=_("Active"))

    class Meta:
        model = Staff
        fields = ["staff_number", "name", "position", "job_title", "email", "is_active"]
        sequence = fields
        empty_text = _("No staff match these filters.")
