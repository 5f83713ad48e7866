from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from modules.academics.models import AcademicYear, CourseOffering, Section, Subject
from modules.people.models import Staff


class CourseOfferingFilter(django_filters.FilterSet):
    section = django_filters.ModelChoiceFilter(label=_("Section"), queryset=Section.objects.none())
    subject = django_filters.ModelChoiceFilter(label=_("Subject"), queryset=Subject.objects.all())
    teacher = django_filters.ModelChoiceFilter(label=_("Teacher"), queryset=Staff.objects.none())

    class Meta:
        model = CourseOffering
        fields = ["section", "subject", "teacher"]

    def __init__(self, *args, year: AcademicYear | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["section"].queryset = (
            Section.objects.filter(year=year).order_by("grade_level__order", "name")
            if year
            else Section.objects.none()
        )
        # Anyone who teaches a class (even a former teacher still attached to one), plus the active teachers.
        self.filters["teacher"].queryset = (
            (Staff.objects.filter(offerings__isnull=False) | Staff.objects.teachers())
            .distinct()
            .order_by("last_name", "first_name")
        )
