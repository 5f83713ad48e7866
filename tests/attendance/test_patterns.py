"""Explainable absence patterns: each found with its reason in plain words, none just under its threshold,
a bounded number of queries, and listed on the reports pages."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from modules.attendance.models import AttendanceRecord, Register
from modules.attendance.patterns import patterns_detect
from tests import factories as f
from tests.attendance.reports_helpers import daily_registers, mark, past_section, pupils, school_days


def d(month: int, day: int) -> datetime.date:
    return datetime.date(2024, month, day)


END = d(3, 15)  # a Friday; the six weeks before it hold six Mondays (5 Feb … 11 March)
DAYS = school_days(d(1, 8), END)


@pytest.fixture
def section(school, teacher):
    return past_section("P7A", teacher=teacher)


def _reasons(section, *, end=END, mode="daily"):
    with translation.override("en"):
        found = patterns_detect(end=end, mode=mode, section_ids=[section.pk])
        return {(p.student_id, p.reason) for p in found}


def _daily(section, marks: dict, *names):
    students = pupils(section, *names)
    by_name = {s.first_name: s for s in students}
    mark(
        daily_registers(section, DAYS),
        {(by_name[name], day): status for (name, day), status in marks.items()},
        students=students,
    )
    return by_name


def test_it_finds_absences_several_days_in_a_row(section):
    kids = _daily(
        section,
        {
            **{("Zed", day): "absent" for day in (d(3, 11), d(3, 12), d(3, 13), d(3, 14))},
            **{("Yan", day): "absent" for day in (d(3, 11), d(3, 12))},
            **{("Xia", day): "excused" for day in (d(3, 11), d(3, 12), d(3, 13))},
            # Thursday, Friday and the next Monday: the weekend does not break a run.
            **{("Ula", day): "absent" for day in (d(3, 7), d(3, 8), d(3, 11))},
        },
        "Zed Zero",
        "Yan Yew",
        "Xia Xu",
        "Ula Ute",
    )
    reasons = _reasons(section)
    assert (kids["Zed"].pk, "Absent 4 school days in a row: 11–14 March") in reasons
    assert (kids["Ula"].pk, "Absent 3 school days in a row: 7–11 March") in reasons
    assert not [r for r in reasons if r[0] in (kids["Yan"].pk, kids["Xia"].pk)]  # two days; excused


def test_it_finds_the_same_weekday_missed(section):
    kids = _daily(
        section,
        {
            **{("Wes", day): "absent" for day in (d(2, 12), d(2, 26), d(3, 11))},
            **{("Vic", day): "absent" for day in (d(2, 12), d(3, 11))},
        },
        "Wes West",
        "Vic Vale",
    )
    assert _reasons(section) == {(kids["Wes"].pk, "Absent on 3 of the last 6 Mondays")}


def test_it_does_not_count_a_run_of_absences_as_a_weekday_pattern(section):
    # Three weeks away: a run, which already explains every Monday missed in it.
    away = [day for day in DAYS if d(2, 19) <= day <= d(3, 8)]
    kids = _daily(section, {("Tia", day): "absent" for day in away}, "Tia Tan")
    assert _reasons(section) == {(kids["Tia"].pk, "Absent 15 school days in a row: 19 February – 8 March")}


def test_it_finds_rising_lateness(section):
    kids = _daily(
        section,
        {
            **{("Lou", day): "late" for day in (d(3, 4), d(3, 5), d(3, 6), d(3, 7), d(3, 8), d(2, 20))},
            **{("Kim", day): "late" for day in (d(3, 4), d(3, 5), d(3, 6), d(2, 20), d(2, 21))},
            **{("Jo", day): "late" for day in (d(3, 4), d(3, 5))},
        },
        "Lou Lark",
        "Kim Kay",
        "Jo Jay",
    )
    assert _reasons(section) == {
        (kids["Lou"].pk, "Late 5 times in the last 2 weeks, up from 1 in the 2 weeks before")
    }


def test_it_finds_the_same_lesson_missed(section, school):
    maths = f.CourseOfferingFactory(subject=f.SubjectFactory(name="Mathematics"), section=section)
    history = f.CourseOfferingFactory(subject=f.SubjectFactory(name="History"), section=section)
    first, second = f.PeriodFactory(), f.PeriodFactory()
    max_, ned, oli = pupils(section, "Max Moss", "Ned Nye", "Oli Oak")
    days = school_days(d(2, 19), END)
    Register.objects.bulk_create(
        [
            Register(kind="lesson", date=day, section=section, offering=offering, period=period)
            for day in days
            for offering, period in ((maths, first), (history, second))
        ]
    )
    missed = {
        (max_, maths): [d(3, 5), d(3, 7), d(3, 12)],  # Maths only: a lesson pattern
        (ned, maths): [d(3, 5), d(3, 7)],  # twice: not yet
        (oli, maths): [d(3, 5), d(3, 7), d(3, 12)],  # whole days away: not a lesson pattern
        (oli, history): [d(3, 5), d(3, 7), d(3, 12)],
    }
    records = []
    for register in Register.objects.filter(section=section, kind="lesson"):
        for student in (max_, ned, oli):
            absent = register.date in missed.get((student, register.offering), [])
            records.append(
                AttendanceRecord(
                    register=register,
                    student=student,
                    date=register.date,
                    status="absent" if absent else "present",
                )
            )
    AttendanceRecord.objects.bulk_create(records)
    assert _reasons(section, mode="lesson") == {(max_.pk, "Missed Mathematics 3 times in 4 weeks")}


def test_it_writes_the_reason_in_the_readers_language(section):
    kids = _daily(section, {("Wes", day): "absent" for day in (d(2, 12), d(2, 26), d(3, 11))}, "Wes West")
    (pattern,) = patterns_detect(end=END, mode="daily", section_ids=[section.pk])
    with translation.override("en"):
        assert pattern.reason == "Absent on 3 of the last 6 Mondays"
    assert pattern.student_id == kids["Wes"].pk
    assert pattern.kind == "weekday"
    assert pattern.key == "0"


def test_it_uses_the_same_number_of_queries_for_5_and_40_students(section, school):
    registers = daily_registers(section, DAYS)
    few = pupils(section, *[f"Few{n} Kid" for n in range(5)])
    mark(registers, {(few[0], day): "absent" for day in DAYS[-3:]}, students=few)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert patterns_detect(end=END, mode="daily")
        return len(captured)

    before = count()
    many = pupils(section, *[f"Many{n} Kid" for n in range(35)])
    mark(registers, {(kid, day): "absent" for kid in many for day in DAYS[-4:]}, students=many)
    assert count() == before <= 3


def test_it_lists_patterns_with_their_reasons_on_the_reports_pages(section, teacher, admin, as_user):
    _daily(section, {("Zed", day): "absent" for day in (d(3, 11), d(3, 12), d(3, 13))}, "Zed Zero")
    period = {"start": "2024-02-01", "end": "2024-03-15"}
    url = reverse("attendance:reports_section", kwargs={"pk": section.pk})
    page = as_user(teacher).get(url, period).content.decode()
    assert "Absence patterns" in page
    assert "Absent 3 school days in a row: 11–13 March" in page
    page = as_user(admin).get(reverse("attendance:reports_overview"), period).content.decode()
    assert "Zed Zero" in page
    assert "Absent 3 school days in a row: 11–13 March" in page
