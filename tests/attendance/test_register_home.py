"""The teacher's home lists today's registers with their state, one tap from each."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from modules.attendance.models import AttendancePolicy, Register
from modules.timetable.models import Cover, TeacherAbsence
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_it_lists_todays_register_with_its_state(as_user, teacher, school, weekday):
    page = as_user(teacher).get(reverse("home")).content.decode()
    register = Register.objects.get(section=school.section, date=weekday)
    assert "Today's registers" in page
    assert reverse("attendance:register_detail", args=[register.pk]) in page
    assert "Register 7A" in page
    assert "Not taken" in page
    assert "Register 7B" not in page
    register.state = "submitted"
    register.save()
    assert "Submitted" in as_user(teacher).get(reverse("home")).content.decode()


def test_it_lists_a_teachers_lessons_in_per_lesson_mode(as_user, teacher, school, weekday):
    AttendancePolicy.objects.create(mode="lesson")
    period = f.PeriodFactory(name="Period 2")
    f.LessonFactory(offering=school.offering, period=period, weekday=weekday.weekday())
    f.LessonFactory(offering=school.other_offering, period=period, weekday=weekday.weekday())
    page = as_user(teacher).get(reverse("home")).content.decode()
    register = Register.objects.get(offering=school.offering, date=weekday)
    assert reverse("attendance:register_detail", args=[register.pk]) in page
    assert "Mathematics · 7A" in page
    assert "Period 2" in page
    assert "History · 7B" not in page


def _cover(lesson, day, teacher):
    absence = TeacherAbsence.objects.create(staff=lesson.teacher, date=day)
    return Cover.objects.create(lesson=lesson, date=day, absence=absence, teacher=teacher)


def test_it_opens_one_register_per_lesson_a_double_at_its_first_period(as_user, teacher, school, weekday):
    AttendancePolicy.objects.create(mode="lesson")
    first, second, third = (f.PeriodFactory(name=f"Period {n}") for n in (1, 2, 3))
    f.LessonFactory(offering=school.offering, period=first, length=2, weekday=weekday.weekday())
    f.LessonFactory(offering=school.offering, period=third, weekday=weekday.weekday())
    as_user(teacher).get(reverse("home"))
    registers = Register.objects.filter(offering=school.offering, date=weekday).order_by("period__order")
    assert [register.period for register in registers] == [first, third]


def test_it_gives_the_covering_teacher_the_register_not_the_absent_one(
    as_user, teacher, other_teacher, school, weekday
):
    AttendancePolicy.objects.create(mode="lesson")
    period = f.PeriodFactory(name="Period 4")
    lesson = f.LessonFactory(offering=school.other_offering, period=period, weekday=weekday.weekday())
    _cover(lesson, weekday, school.teacher_staff)
    page = as_user(teacher).get(reverse("home")).content.decode()
    register = Register.objects.get(offering=school.other_offering, date=weekday)
    assert "History · 7B" in page
    assert "Cover for Olga Other" in page
    assert reverse("attendance:register_detail", args=[register.pk]) in page
    absent = as_user(other_teacher).get(reverse("home")).content.decode()
    assert "History · 7B" not in absent
    assert reverse("attendance:register_detail", args=[register.pk]) not in absent


def test_it_covers_only_on_the_covers_date(as_user, teacher, school, weekday):
    AttendancePolicy.objects.create(mode="lesson")
    lesson = f.LessonFactory(offering=school.other_offering, weekday=weekday.weekday())
    _cover(lesson, weekday - datetime.timedelta(days=7), school.teacher_staff)
    page = as_user(teacher).get(reverse("home")).content.decode()
    assert "History · 7B" not in page
    assert not Register.objects.filter(offering=school.other_offering).exclude(date=weekday).exists()


def test_it_follows_the_timetable_in_effect_not_drafts_or_later_ones(as_user, teacher, school, weekday):
    AttendancePolicy.objects.create(mode="lesson")
    live = f.TimetableFactory(year=school.year, effective_until=weekday)
    later = f.TimetableFactory(year=school.year, effective_from=weekday + datetime.timedelta(days=1))
    draft = f.TimetableFactory(year=school.year, status="draft")
    first, second, third = (f.PeriodFactory(name=f"Period {n}") for n in (1, 2, 3))
    f.LessonFactory(timetable=live, offering=school.offering, period=first, weekday=weekday.weekday())
    f.LessonFactory(timetable=later, offering=school.offering, period=second, weekday=weekday.weekday())
    f.LessonFactory(timetable=draft, offering=school.offering, period=third, weekday=weekday.weekday())
    page = as_user(teacher).get(reverse("home")).content.decode()
    assert [r.period for r in Register.objects.filter(offering=school.offering)] == [first]
    assert "Period 1" in page
    assert "Period 2" not in page
    assert "Period 3" not in page


def test_it_lists_no_register_on_a_closure(as_user, teacher, school, weekday):
    f.CalendarEventFactory(name="Snow day", kind="closure", start_date=weekday, end_date=weekday)
    page = as_user(teacher).get(reverse("home")).content.decode()
    assert "Today's registers" not in page
    assert not Register.objects.exists()


def test_it_keeps_the_home_within_its_query_budget(
    as_user, teacher, school, weekday, django_assert_max_num_queries
):
    client = as_user(teacher)
    client.get(reverse("home"))  # creates today's registers
    # The lessons of the day and their covers are read even in daily mode ("Today's classes").
    with django_assert_max_num_queries(13):
        assert client.get(reverse("home")).status_code == 200
