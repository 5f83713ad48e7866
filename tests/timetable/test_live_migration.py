"""The hand-filled grid (academics.TimetableEntry) becomes one published timetable per year (timetable
0002), and academics then drops the grid: run on a database holding the old grid."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests import factories as f

BEFORE = [("timetable", "0001_initial"), ("academics", "0004_room_types")]

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture(autouse=True)
def _back_to_the_latest():
    """Each test leaves the database migrated to the end, as the next test (and the flush) expects."""
    yield
    _migrate(_leaves())


def _old_grid(apps):
    """Two years: 2025/26 with two classes (one of them without a teacher), 2026/27 with one."""
    Year = apps.get_model("academics", "AcademicYear")
    Grade = apps.get_model("academics", "GradeLevel")
    Section = apps.get_model("academics", "Section")
    Subject = apps.get_model("academics", "Subject")
    Offering = apps.get_model("academics", "CourseOffering")
    Period = apps.get_model("academics", "Period")
    Room = apps.get_model("academics", "Room")
    Staff = apps.get_model("people", "Staff")
    Entry = apps.get_model("academics", "TimetableEntry")
    last = Year.objects.create(
        name="2025/2026", start_date=datetime.date(2025, 8, 20), end_date=datetime.date(2026, 7, 10)
    )
    this = Year.objects.create(
        name="2026/2027", start_date=datetime.date(2026, 8, 19), end_date=datetime.date(2027, 7, 9)
    )
    grade = Grade.objects.create(name="Grade 7", order=7)
    maths = Subject.objects.create(name="Mathematics", code="MATH")
    art = Subject.objects.create(name="Art", code="ART")
    # People and logins are not migrated here: today's factory makes the teacher.
    ortiz = Staff.objects.get(pk=f.StaffFactory(first_name="Ana", last_name="Ortiz").pk)
    first = Period.objects.create(
        name="Period 1", order=1, start_time=datetime.time(8), end_time=datetime.time(8, 45)
    )
    second = Period.objects.create(
        name="Period 2", order=2, start_time=datetime.time(8, 50), end_time=datetime.time(9, 35)
    )
    lab = Room.objects.create(name="Lab 1")
    old_7a = Section.objects.create(year=last, grade_level=grade, name="7A")
    new_7a = Section.objects.create(year=this, grade_level=grade, name="7A")
    old_maths = Offering.objects.create(subject=maths, section=old_7a, teacher=ortiz)
    old_art = Offering.objects.create(subject=art, section=old_7a, teacher=None)
    new_maths = Offering.objects.create(subject=maths, section=new_7a, teacher=ortiz)
    Entry.objects.create(offering=old_maths, weekday=0, period=first, room=lab)
    Entry.objects.create(offering=old_maths, weekday=2, period=second)
    Entry.objects.create(offering=old_art, weekday=0, period=second)
    Entry.objects.create(offering=new_maths, weekday=4, period=first, room=lab)
    return {"ortiz": ortiz.pk, "first": first.pk, "second": second.pk, "lab": lab.pk}


def test_it_moves_each_years_grid_into_one_published_timetable_and_drops_the_grid():
    ids = _old_grid(_migrate(BEFORE))
    apps = _migrate(_leaves())

    Timetable = apps.get_model("timetable", "Timetable")
    Lesson = apps.get_model("timetable", "Lesson")
    timetables = list(Timetable.objects.order_by("effective_from"))
    assert [(t.name, t.status, t.effective_from, t.effective_until) for t in timetables] == [
        ("Timetable 2025–2026", "published", datetime.date(2025, 8, 20), None),
        ("Timetable 2026–2027", "published", datetime.date(2026, 8, 19), None),
    ]
    assert all(t.published_at is not None for t in timetables)
    lessons = Lesson.objects.order_by("timetable__effective_from", "weekday", "period__order").values_list(
        "timetable__year__name",
        "offering__subject__name",
        "teacher_id",
        "weekday",
        "period_id",
        "length",
        "room_id",
    )
    assert list(lessons) == [
        ("2025/2026", "Mathematics", ids["ortiz"], 0, ids["first"], 1, ids["lab"]),
        ("2025/2026", "Art", None, 0, ids["second"], 1, None),
        ("2025/2026", "Mathematics", ids["ortiz"], 2, ids["second"], 1, None),
        ("2026/2027", "Mathematics", ids["ortiz"], 4, ids["first"], 1, ids["lab"]),
    ]
    with pytest.raises(LookupError):
        apps.get_model("academics", "TimetableEntry")


def test_it_reads_the_migrated_lessons_as_the_timetable_in_effect():
    _old_grid(_migrate(BEFORE))
    _migrate(_leaves())

    from modules.timetable.models import Lesson

    friday = datetime.date(2026, 9, 4)
    assert [str(lesson.offering.subject) for lesson in Lesson.objects.in_effect_on(friday)] == ["Mathematics"]
    monday_last_year = datetime.date(2026, 3, 2)
    assert sorted(
        lesson.offering.subject.name for lesson in Lesson.objects.in_effect_on(monday_last_year)
    ) == ["Art", "Mathematics"]


def test_it_leaves_a_school_without_a_grid_without_timetables():
    _migrate(BEFORE)
    apps = _migrate(_leaves())
    assert not apps.get_model("timetable", "Timetable").objects.exists()


def test_it_rebuilds_the_grid_when_migrated_back():
    ids = _old_grid(_migrate(BEFORE))
    _migrate(_leaves())
    apps = _migrate(BEFORE)

    Entry = apps.get_model("academics", "TimetableEntry")
    assert sorted(
        Entry.objects.values_list("offering__section__year__name", "weekday", "period_id", "room_id")
    ) == [
        ("2025/2026", 0, ids["first"], ids["lab"]),
        ("2025/2026", 0, ids["second"], None),
        ("2025/2026", 2, ids["second"], None),
        ("2026/2027", 4, ids["first"], ids["lab"]),
    ]
