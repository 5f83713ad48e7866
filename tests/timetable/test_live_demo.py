"""The demo school's timetable is generated as a school's would be: requirements stated, the solver run,
the result published from the year's first day; every hard rule holds in it (one small demo school, loaded
once for these read-only checks and rolled back after the last)."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from modules.academics.models import CourseOffering, Period, Room
from modules.accounts.demo import DEMO_PASSWORD, TEACHER_EMAIL
from modules.attendance.models import AttendancePolicy, Register
from modules.demo import seed as demo_seed
from modules.timetable.models import Lesson, Requirement, TeacherLimit, Timetable, Unavailability

# A Tuesday in the autumn term.
TODAY = datetime.date(2026, 11, 17)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    with django_db_blocker.unblock(), media, transaction.atomic():
        ctx = demo_seed.demo_school_seed(size="small", today=TODAY)
        yield ctx
        transaction.set_rollback(True)


pytestmark = pytest.mark.usefixtures("demo", "db")


def _lessons():
    return list(Timetable.objects.get().lessons.select_related("period", "offering__subject", "room"))


def test_it_states_a_requirement_for_every_class_with_doubles_and_labs():
    offerings = CourseOffering.objects.filter(section__year__is_current=True)
    assert Requirement.objects.count() == offerings.count()
    doubles = dict(Requirement.objects.values_list("offering__subject__code", "double_lessons").distinct())
    assert doubles["SCI"] == 1
    assert doubles["ART"] == 1
    assert doubles["MATH"] == 0
    science = Requirement.objects.filter(offering__subject__code="SCI")
    assert set(science.values_list("room_type__name", flat=True)) == {"Laboratory"}
    assert Room.objects.filter(room_type__name="Laboratory").count() >= 2
    assert Unavailability.objects.filter(staff__isnull=False).count() == 6
    assert TeacherLimit.objects.filter(preferred_free_day__isnull=False).count() == 2


def test_it_publishes_the_solvers_complete_timetable_from_the_years_start():
    timetable = Timetable.objects.get()
    assert timetable.status == "published"
    assert timetable.outcome == "complete"
    assert timetable.effective_from == timetable.year.start_date
    assert timetable.published_by.staff_profile.position == "administrator"
    assert timetable.solver_stats["status"] in {"OPTIMAL", "FEASIBLE"}
    assert set(Lesson.objects.in_effect_on(TODAY).values_list("timetable", flat=True)) == {timetable.pk}


def test_it_places_every_period_of_every_class_doubles_together():
    placed: dict[int, Counter] = defaultdict(Counter)
    for lesson in _lessons():
        placed[lesson.offering_id][lesson.length] += 1
    for requirement in Requirement.objects.all():
        assert placed[requirement.offering_id] == Counter(
            {
                length: n
                for length, n in ((1, requirement.single_lessons), (2, requirement.double_lessons))
                if n
            }
        )
    orders = set(Period.objects.values_list("order", flat=True))
    assert all(lesson.period.order + 1 in orders for lesson in _lessons() if lesson.length == 2)


def test_it_keeps_science_in_labs_and_everyone_where_they_can_be():
    unavailable = {
        (row.staff_id, row.room_id, row.weekday, row.period_id) for row in Unavailability.objects.all()
    }
    for lesson in _lessons():
        if lesson.offering.subject.code == "SCI":
            assert lesson.room.room_type.name == "Laboratory"
        assert (lesson.teacher_id, None, lesson.weekday, lesson.period_id) not in unavailable
        assert (None, lesson.room_id, lesson.weekday, lesson.period_id) not in unavailable


def test_it_gives_the_demo_teacher_lessons_every_weekday_within_their_limit():
    mine = [lesson for lesson in _lessons() if lesson.teacher.email == TEACHER_EMAIL]
    assert {lesson.weekday for lesson in mine} == {0, 1, 2, 3, 4}
    limit = TeacherLimit.objects.get(staff__email=TEACHER_EMAIL).max_periods_per_day
    per_day = Counter()
    for lesson in mine:
        per_day[lesson.weekday] += lesson.length
    assert max(per_day.values()) <= limit


def test_the_demo_teacher_opens_todays_lesson_registers_from_home(client):
    # As seeded: the school takes a register a day, its upper grades one per lesson.
    modes = AttendancePolicy.load().modes
    assert modes.default == "daily"
    assert client.login(email=TEACHER_EMAIL, password=DEMO_PASSWORD)
    with pytest.MonkeyPatch.context() as patch:
        from django.utils import timezone

        patch.setattr(timezone, "localdate", lambda value=None, tz=None: TODAY)
        page = client.get(reverse("home")).content.decode()
    today = (
        Lesson.objects.in_effect_on(TODAY)
        .filter(teacher__email=TEACHER_EMAIL)
        .select_related("offering__section")
    )
    per_lesson = [
        lesson for lesson in today if modes.for_grade(lesson.offering.section.grade_level_id) == "lesson"
    ]
    assert per_lesson, "the demo teacher teaches a per-lesson grade today"
    for lesson in per_lesson:
        register = Register.objects.get(
            offering=lesson.offering, date=TODAY, period=lesson.period, kind="lesson"
        )
        assert reverse("attendance:register_detail", args=[register.pk]) in page
    # The lessons of the daily grades have no register (their sections take one a day).
    for lesson in today:
        if lesson not in per_lesson:
            assert not Register.objects.filter(offering=lesson.offering, date=TODAY).exists()
