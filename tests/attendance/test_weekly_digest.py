"""The weekly digest of newly flagged students: homeroom teachers get their students, the office everyone,
once per week, and only what is new."""

from __future__ import annotations

import datetime

import pytest

from modules.attendance.models import FlaggedPattern
from modules.attendance.patterns import weekly_digest_send
from modules.communications.models import Delivery, Notification
from tasks.attendance_reports import send_attendance_digest
from tests.attendance.reports_helpers import daily_registers, mark, past_section, pupils, school_days
from tests.clock import huey_time


def d(month: int, day: int) -> datetime.date:
    return datetime.date(2024, month, day)


MONDAY = d(3, 18)  # the digest judges the weeks up to Sunday 17 March


@pytest.fixture
def flagged(school, teacher, other_teacher):
    """P7A (teacher): Zed absent 11–13 March (a run). P7B (other_teacher): Wes absent three Mondays.
    Amy (P7A) and Dee (P7B) always present. Registers every weekday from January to the end of March."""
    a = past_section("P7A", teacher=teacher)
    b = past_section("P7B", teacher=other_teacher)
    amy, zed = pupils(a, "Amy Able", "Zed Zero")
    dee, wes = pupils(b, "Dee Dune", "Wes West")
    days = school_days(d(1, 8), d(3, 29))
    registers_a = daily_registers(a, days)
    registers_b = daily_registers(b, days)
    mark(
        {day: r for day, r in registers_a.items() if day <= d(3, 15)},
        {(zed, day): "absent" for day in (d(3, 11), d(3, 12), d(3, 13))},
        students=[amy, zed],
    )
    mark(
        {day: r for day, r in registers_b.items() if day <= d(3, 15)},
        {(wes, day): "absent" for day in (d(2, 12), d(2, 26), d(3, 11))},
        students=[dee, wes],
    )
    return {"a": registers_a, "b": registers_b, "zed": zed, "wes": wes, "amy": amy, "dee": dee}


def digests(user):
    return list(Notification.objects.filter(recipient=user, kind="attendance_digest").order_by("created_at"))


def test_it_tells_each_homeroom_teacher_their_students_and_the_office_everyone(
    flagged, teacher, other_teacher, admin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = weekly_digest_send(today=MONDAY)
    assert (result.new, result.notifications) == (2, 3)

    (mine,) = digests(teacher)
    assert mine.title == "Attendance: 1 student newly flagged this week"
    assert "Zed Zero (P7A): Absent 3 school days in a row: 11–13 March." in mine.body
    assert "Wes" not in mine.body
    (theirs,) = digests(other_teacher)
    assert "Wes West (P7B): Absent on 3 of the last 6 Mondays." in theirs.body
    assert "Zed" not in theirs.body
    (office,) = digests(admin)
    assert office.title == "Attendance: 2 students newly flagged this week"
    assert "Zed Zero" in office.body
    assert "Wes West" in office.body
    assert office.url == "/attendance/reports/"
    assert Delivery.objects.filter(kind="attendance_digest", channel="email").count() == 3
    assert sorted(m.to[0] for m in mailoutbox) == sorted([teacher.email, other_teacher.email, admin.email])
    assert any("Zed Zero (P7A)" in m.body for m in mailoutbox if m.to == [teacher.email])
    assert set(FlaggedPattern.objects.values_list("student__first_name", "kind", "first_seen")) == {
        ("Zed", "consecutive", MONDAY),
        ("Wes", "weekday", MONDAY),
    }


def test_it_sends_once_per_week(flagged, teacher, admin):
    weekly_digest_send(today=MONDAY)
    again = weekly_digest_send(today=MONDAY)
    later_that_week = weekly_digest_send(today=d(3, 20))
    assert again.notifications == 0
    assert later_that_week.notifications == 0
    assert len(digests(teacher)) == 1
    assert len(digests(admin)) == 1
    assert Delivery.objects.filter(kind="attendance_digest").count() == 3


def test_it_names_only_students_newly_flagged(flagged, teacher, other_teacher, admin):
    weekly_digest_send(today=MONDAY)
    # The next week: Zed's run and Wes's Mondays are still within the six weeks, nothing new happened in
    # P7B, and Amy is absent three days in a row in P7A.
    amy, zed = flagged["amy"], flagged["zed"]
    week = {day: r for day, r in flagged["a"].items() if d(3, 18) <= day <= d(3, 22)}
    mark(week, {(amy, day): "absent" for day in (d(3, 19), d(3, 20), d(3, 21))}, students=[amy, zed])
    mark(
        {day: r for day, r in flagged["b"].items() if d(3, 18) <= day <= d(3, 22)},
        {},
        students=[flagged["dee"]],
    )

    result = weekly_digest_send(today=d(3, 25))
    assert result.new == 1
    latest = digests(teacher)[-1]
    assert latest.title == "Attendance: 1 student newly flagged this week"
    assert "Amy Able (P7A): Absent 3 school days in a row: 19–21 March." in latest.body
    assert "Zed" not in latest.body
    assert len(digests(other_teacher)) == 1  # nothing new for P7B: no second digest
    assert "Amy Able" in digests(admin)[-1].body
    assert "Wes" not in digests(admin)[-1].body


def test_it_sends_nothing_when_nobody_is_newly_flagged(school, teacher, admin):
    section = past_section("P7A", teacher=teacher)
    (amy,) = pupils(section, "Amy Able")
    mark(daily_registers(section, school_days(d(3, 4), d(3, 15))), {}, students=[amy])
    assert weekly_digest_send(today=MONDAY).notifications == 0
    assert not Notification.objects.filter(kind="attendance_digest").exists()


def test_it_flags_a_pattern_again_when_it_comes_back_after_a_lapse(flagged):
    weekly_digest_send(today=MONDAY)
    flag = FlaggedPattern.objects.get(student=flagged["wes"])
    flag.last_seen = MONDAY - datetime.timedelta(days=30)
    flag.first_seen = MONDAY - datetime.timedelta(days=60)
    flag.save()
    result = weekly_digest_send(today=d(3, 19))
    flag.refresh_from_db()
    assert flag.first_seen == d(3, 19)
    assert result.new == 2


def test_it_runs_on_monday_morning_in_the_schools_time_zone(settings):
    monday_morning = send_attendance_digest.task_class().validate_datetime
    assert monday_morning(huey_time(2024, 3, 18, 7, 0))  # naive UTC, as Huey passes it (TZ=UTC)
    assert not monday_morning(huey_time(2024, 3, 18, 8, 0))
    assert not monday_morning(huey_time(2024, 3, 19, 7, 0))
