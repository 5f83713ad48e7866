from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from modules.people.models import Guardian, Position, Staff


class SearchFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    search_fields: tuple[str, ...] = ()

    def search(self, queryset, name, value):
        condition = Q()
        for term in value.split()[:5]:
            term_condition = Q()
            for field in self.search_fields:
                term_condition |= Q(**{f"{field}__icontains": term})
            condition &= term_condition
        return queryset.filter(condition)


class GuardianFilter(SearchFilterSet):
    search_fields = ("first_name", "last_name", "email", "phone", "student_links__student__last_name")
    has_login = django_filters.BooleanFilter(
        label=_("Login"),
        field_name="user",
        lookup_expr="isnull",
        exclude=True,
        widget=forms.Select(choices=[("", _("All")), ("true", _("Has a login")), ("false", _("No login"))]),
    )

    class Meta:
        model = Guardian
        fields = ["q", "has_login"]

    def search(self, queryset, name, value):
        return super().search(queryset, name, value).distinct()


class StaffFilter(SearchFilterSet):
    search_fields = ("first_name", "last_name", "email", "staff_number", "job_title")
    position = django_filters.ChoiceFilter(label=_("Position"), choices=Position.choices)
    is_active = django_filters.BooleanFilter(
        label=_("Status"),
        widget=forms.Select(choices=[("", _("All")), ("true", _("Active")), ("false", _("Inactive"))]),
    )

    class Meta:
        model = Staff
        fields = ["q", "position", "is_active"]
