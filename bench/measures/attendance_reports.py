"""Attendance reports on the large school: the school-wide analytics page (the current term so far, every
section, patterns included) and the monthly register PDF of one section.

The analytics page reads the registers' and students' tallies and the patterns worked out on the queue; its
setup runs what the worker runs each night (tasks/attendance_tallies.py: the term's tallies recounted, the
patterns worked out as of today), as a school's database has it by morning.

The large demo carries a full year of daily registers; the PDF is for the fullest section of the current
year, in the latest month that has records (this month when none do, so the measure runs on any database).
"""

from __future__ import annotations

from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone

from bench.registry import measure
from modules.accounts import demo

OVERVIEW_BUDGET_MS = 150
PDF_BUDGET_MS = 2000


@measure("attendance: school-wide analytics page (office)", budget_ms=OVERVIEW_BUDGET_MS, budget_queries=20)
def reports_overview(bench):
    from modules.attendance.patterns import patterns_refresh
    from modules.attendance.services import term_tallies_catch_up

    term_tallies_catch_up()
    patterns_refresh()
    client = bench.client_for(demo.ADMIN_EMAIL)
    url = reverse("attendance:reports_overview")
    return lambda: bench.get(client, url)


def _fullest_section():
    from modules.academics.models import Section
    from modules.academics.selectors import current_year

    sections = Section.objects.filter(year=current_year()) if current_year() else Section.objects.all()
    return (
        sections.annotate(students=Count("enrollments", filter=Q(enrollments__status="active")))
        .order_by("-students", "name")
        .first()
    )


@measure(
    "attendance: monthly register PDF, one section",
    budget_ms=PDF_BUDGET_MS,
    budget_queries=12,
    runs=5,
    warmup=1,
)
def monthly_register_pdf(bench):
    from modules.attendance.models import AttendanceRecord

    section = _fullest_section()
    latest = AttendanceRecord.objects.filter(register__section=section).aggregate(day=Max("date"))["day"]
    month = (latest or timezone.localdate()).strftime("%Y-%m")
    client = bench.reauthenticated(bench.client_for(demo.ADMIN_EMAIL))  # an export of a class's records
    url = f"{reverse('attendance:reports_monthly_pdf', kwargs={'pk': section.pk})}?month={month}"
    return lambda: bench.get(client, url)
