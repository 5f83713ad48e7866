from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from modules.academics.models import AcademicYear, CourseOffering, GradeLevel, Section, Subject
from modules.people.filters import SearchFilterSet
from modules.people.models import Gender, Staff, Student


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


class StudentFilter(SearchFilterSet):
    search_fields = ("first_name", "last_name", "admission_number", "email")
    grade_level = django_filters.ModelChoiceFilter(
        label=_("Grade level"), queryset=GradeLevel.objects.all(), method="filter_grade_level"
    )
    section = django_filters.ModelChoiceFilter(
        label=_("Section"), queryset=Section.objects.none(), method="filter_section"
    )
    gender = django_filters.ChoiceFilter(label=_("Gender"), choices=Gender.choices)
    is_active = django_filters.BooleanFilter(
        label=_("Status"),
        widget=forms.Select(choices=[("", _("All")), ("true", _("Active")), ("false", _("Inactive"))]),
    )

    class Meta:
        model = Student
        fields = ["q", "grade_level", "section", "gender", "is_active"]

    def __init__(self, *args, year=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year
        self.filters["section"].queryset = (
            Section.objects.filter(year=year) if year else Section.objects.none()
        )

    def filter_grade_level(self, queryset, name, value):
        return queryset.filter(enrollments__year=self.year, enrollments__section__grade_level=value)

    def filter_section(self, queryset, name, value):
        return queryset.filter(enrollments__section=value)
