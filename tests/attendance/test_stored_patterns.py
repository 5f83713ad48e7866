"""Absence patterns worked out on the queue: when a register is submitted or a mark on a submitted one is
corrected, its section's patterns are worked out again and stored (tasks/attendance_tallies.py), and the
reports page reads them instead of six weeks of records."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from modules.attendance.models import PatternSnapshot, StoredPattern
from modules.attendance.patterns import patterns_detect, patterns_refresh
from modules.attendance.services import record_mark, register_submit
from tests import factories as f

pytestmark = pytest.mark.django_db


def weekdays_before(day: datetime.date, count: int) -> list[datetime.date]:
    days = []
    while len(days) < count:
        day -= datetime.timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return sorted(days)


@pytest.fixture
def absent_before(weekday, school, admin):
    """The child was absent on the two school days before today, both registers submitted."""
    for day in weekdays_before(weekday, 2):
        register = f.RegisterFactory(section=school.section, date=day)
        record_mark(
            register=register, student_id=school.child.pk, status="absent", by=admin, change_reason="x"
        )
        register_submit(register=register, by=admin)
    return school


def stored(school) -> list[tuple[str, int]]:
    return list(StoredPattern.objects.filter(student=school.child).values_list("kind", "count"))


def test_it_works_out_the_sections_patterns_when_a_register_is_submitted(
    weekday, absent_before, teacher, admin, as_user, django_capture_on_commit_callbacks, queries_exactly
):
    school = absent_before
    patterns_refresh()  # the night before: two days absent are no pattern yet
    assert PatternSnapshot.objects.get().as_of == weekday
    assert stored(school) == []

    today = f.RegisterFactory(section=school.section, date=weekday)
    record_mark(register=today, student_id=school.child.pk, status="absent", by=teacher)
    with django_capture_on_commit_callbacks(execute=True):
        register_submit(register=today, by=teacher)
    assert stored(school) == [("consecutive", 3)]
    detected = patterns_detect(end=weekday, mode="daily", start=school.term.start_date)
    assert [(p.kind, p.student_id, p.count) for p in detected] == [("consecutive", school.child.pk, 3)]

    client = as_user(admin)
    # The default page, the current term so far: user, the term, sections, the tallies by section and by
    # day, the term's chronically absent and their enrollments, the stored patterns' snapshot and rows and
    # their students, the bell, the terms of the form. Not one query reads the records.
    with queries_exactly(12) as captured:
        page = client.get(reverse("attendance:reports_overview")).content.decode()
    assert "Absent 3 school days in a row" in page
    assert "Worked out at" in page
    assert not any("attendance_attendancerecord" in q["sql"] for q in captured.captured_queries)

    today.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        record_mark(
            register=today, student_id=school.child.pk, status="present", by=admin, change_reason="Was in"
        )
    assert stored(school) == []
