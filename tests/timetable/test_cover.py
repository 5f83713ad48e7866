"""Cover services (modules/timetable/covering.py): the lessons to cover when a teacher is away, the teachers
free to take each (qualified first, then the fewest covers this term, then by name), assigning with its
refusals, and recording or removing an absence. The pages are in test_cover_pages.py."""

from __future__ import annotations

import datetime

import pytest

from modules.communications.models import Notification
from modules.core.models import AuditEvent
from modules.timetable import covering
from modules.timetable.models import Cover, TeacherAbsence, TimetableStatus, Unavailability
from tests import factories as f
from tests.timetable.cover_school import away, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def cs(weekday, school):
    return build(school, weekday)


def names(candidates) -> list[str]:
    return [candidate.staff.full_name for candidate in candidates]


def test_it_lists_the_lessons_of_a_teacher_away_all_day(cs, school):
    away(school.teacher_staff, cs.day)

    items = covering.lessons_to_cover(cs.day)

    assert [item.lesson for item in items] == [cs.maths_7a, cs.maths_7a_double]
    assert [p.name for p in items[1].periods] == ["Period 3", "Period 4"]
    assert all(item.cover is None for item in items)


def test_it_lists_only_the_lessons_in_the_periods_away(cs, school):
    away(school.teacher_staff, cs.day, cs.periods[0])
    assert [item.lesson for item in covering.lessons_to_cover(cs.day)] == [cs.maths_7a]


def test_it_counts_the_second_period_of_a_double(cs, school):
    away(school.teacher_staff, cs.day, cs.periods[3])
    assert [item.lesson for item in covering.lessons_to_cover(cs.day)] == [cs.maths_7a_double]


def test_it_has_nothing_to_cover_on_a_holiday_or_another_weekday(cs, school):
    away(school.teacher_staff, cs.day)
    away(school.teacher_staff, cs.day + datetime.timedelta(days=1))
    f.CalendarEventFactory(start_date=cs.day, end_date=cs.day)

    assert covering.lessons_to_cover(cs.day) == []
    assert covering.lessons_to_cover(cs.day + datetime.timedelta(days=1)) == []


def test_it_reads_only_the_timetable_in_effect(cs, school):
    cs.timetable.status = TimetableStatus.DRAFT
    cs.timetable.save()
    away(school.teacher_staff, cs.day)
    assert covering.lessons_to_cover(cs.day) == []


def test_it_offers_the_free_teachers_qualified_first_then_fewest_covers(cs, school):
    away(school.teacher_staff, cs.day)

    candidates = covering.cover_candidates(cs.maths_7a, cs.day)

    # Eve teaches then; Tom is away. Carla teaches Mathematics; Dan covered once this term, Olga never.
    assert names(candidates) == ["Carla Cover", "Olga Other", "Dan Free"]
    assert [(c.qualified, c.covers) for c in candidates] == [(True, 0), (False, 0), (False, 1)]


def test_a_double_needs_a_teacher_free_for_both_periods(cs, school):
    away(school.teacher_staff, cs.day)
    # Periods 3-4: Dan teaches Art then; Carla and Olga teach nothing; Eve neither.
    assert names(covering.cover_candidates(cs.maths_7a_double, cs.day)) == [
        "Carla Cover",
        "Eve Busy",
        "Olga Other",
    ]


def test_it_leaves_out_teachers_away_covering_or_unavailable_then(cs, school, admin):
    away(school.teacher_staff, cs.day)
    away(cs.carla.staff_profile, cs.day, cs.periods[0])
    Unavailability.objects.create(
        year=school.year, staff=cs.dan.staff_profile, weekday=cs.day.weekday(), period=cs.periods[0]
    )
    away(cs.eve.staff_profile, cs.day)
    english = covering.lessons_to_cover(cs.day)
    english_8a = next(item.lesson for item in english if item.lesson.offering.subject.name == "English")
    covering.cover_assign(lesson=english_8a, day=cs.day, teacher=school.other_teacher_staff, user=admin)

    assert names(covering.cover_candidates(cs.maths_7a, cs.day)) == []


def test_it_assigns_cover_tells_the_teacher_and_audits(
    cs, school, admin, django_capture_on_commit_callbacks, mailoutbox
):
    away(school.teacher_staff, cs.day)

    with django_capture_on_commit_callbacks(execute=True):
        cover = covering.cover_assign(
            lesson=cs.maths_7a, day=cs.day, teacher=cs.carla.staff_profile, user=admin
        )

    assert cover.teacher == cs.carla.staff_profile
    assert cover.created_by == admin
    notification = Notification.objects.get(recipient=cs.carla)
    assert notification.kind == "cover_assigned"
    assert notification.title.startswith("Cover: Mathematics · 7A on ")
    assert "in place of Tom Teach" in notification.body
    assert "Room: Room 12." in notification.body
    assert [message.to for message in mailoutbox] == [["carla@school.test"]]
    event = AuditEvent.objects.get(action="timetable.cover.assign")
    assert event.actor == admin
    assert event.after["teacher"] == cs.carla.staff_profile.pk
    # The lesson is covered: nobody else is offered for it on the board.
    board = covering.cover_board(cs.day)
    assert board.items[0].cover == cover
    assert board.items[0].candidates == []


def test_assigning_the_same_teacher_again_changes_nothing(cs, school, admin):
    away(school.teacher_staff, cs.day)
    first = covering.cover_assign(lesson=cs.maths_7a, day=cs.day, teacher=cs.carla.staff_profile, user=admin)
    again = covering.cover_assign(lesson=cs.maths_7a, day=cs.day, teacher=cs.carla.staff_profile, user=admin)

    assert again == first
    assert Notification.objects.filter(recipient=cs.carla).count() == 1


def test_it_refuses_a_cover_someone_else_assigned_meanwhile(cs, school, admin):
    away(school.teacher_staff, cs.day)
    covering.cover_assign(lesson=cs.maths_7a, day=cs.day, teacher=cs.carla.staff_profile, user=admin)

    with pytest.raises(covering.CoverError) as refused:
        covering.cover_assign(lesson=cs.maths_7a, day=cs.day, teacher=school.other_teacher_staff, user=admin)

    assert refused.value.message == (
        "Carla Cover was assigned to cover this lesson meanwhile. "
        "Remove that cover first to choose someone else."
    )
    assert Cover.objects.get(lesson=cs.maths_7a, date=cs.day).teacher == cs.carla.staff_profile


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("eve", "Eve Busy teaches English · 8A then."),
        ("teacher", "Tom Teach is away then."),
    ],
)
def test_it_refuses_a_teacher_who_is_not_free(cs, school, admin, who, message):
    away(school.teacher_staff, cs.day)
    staff = school.teacher_staff if who == "teacher" else cs.eve.staff_profile

    with pytest.raises(covering.CoverError) as refused:
        covering.cover_assign(lesson=cs.maths_7a, day=cs.day, teacher=staff, user=admin)

    assert refused.value.message == message
    assert not Cover.objects.filter(date=cs.day).exists()


def test_it_refuses_a_teacher_covering_elsewhere_then(cs, school, admin):
    away(school.teacher_staff, cs.day)
    away(cs.eve.staff_profile, cs.day)
    english_8a = next(
        item.lesson
        for item in covering.lessons_to_cover(cs.day)
        if item.lesson.teacher == cs.eve.staff_profile
    )
    covering.cover_assign(lesson=english_8a, day=cs.day, teacher=cs.carla.staff_profile, user=admin)

    with pytest.raises(covering.CoverError) as refused:
        covering.cover_assign(lesson=cs.maths_7a, day=cs.day, teacher=cs.carla.staff_profile, user=admin)

    assert refused.value.message == "Carla Cover already covers English · 8A then."


def test_it_refuses_a_lesson_whose_teacher_is_not_away(cs, school, admin):
    with pytest.raises(covering.CoverError) as refused:
        covering.cover_assign(lesson=cs.maths_7a, day=cs.day, teacher=cs.carla.staff_profile, user=admin)
    assert refused.value.message.startswith("Mathematics · 7A needs no cover on ")


def test_recording_the_day_again_keeps_only_the_covers_still_needed(cs, school, admin):
    absence = covering.absence_record(staff=school.teacher_staff, date=cs.day, note=" Flu ", user=admin)
    covering.cover_assign(lesson=cs.maths_7a, day=cs.day, teacher=cs.carla.staff_profile, user=admin)
    covering.cover_assign(
        lesson=cs.maths_7a_double, day=cs.day, teacher=school.other_teacher_staff, user=admin
    )

    again = covering.absence_record(
        staff=school.teacher_staff, date=cs.day, periods=[cs.periods[2]], note="Dentist", user=admin
    )

    assert again == absence
    assert list(again.periods.all()) == [cs.periods[2]]
    assert again.note == "Dentist"
    assert list(Cover.objects.filter(date=cs.day).values_list("lesson", flat=True)) == [cs.maths_7a_double.pk]
    events = list(AuditEvent.objects.filter(action__startswith="timetable.").values_list("action", flat=True))
    assert events.count("timetable.absence.record") == 2
    assert "timetable.cover.remove" in events


def test_removing_an_absence_removes_its_covers(cs, school, admin):
    absence = covering.absence_record(staff=school.teacher_staff, date=cs.day, user=admin)
    covering.cover_assign(lesson=cs.maths_7a, day=cs.day, teacher=cs.carla.staff_profile, user=admin)

    covering.absence_remove(absence=absence, user=admin)

    assert not TeacherAbsence.objects.filter(date=cs.day).exists()
    assert not Cover.objects.filter(date=cs.day).exists()
    assert AuditEvent.objects.filter(action="timetable.absence.remove").exists()


def test_covers_count_in_the_term_of_the_day_only(cs, school):
    f.TermFactory(
        year=school.year, name="Term 9", start_date=cs.day - datetime.timedelta(days=1), end_date=cs.day
    )
    school.term.end_date = cs.day - datetime.timedelta(days=2)
    school.term.save()
    away(school.teacher_staff, cs.day)

    candidates = covering.cover_candidates(cs.maths_7a, cs.day)

    # Dan's cover was last week, in another term: Dan and Olga now both have none, so by name.
    assert names(candidates) == ["Carla Cover", "Dan Free", "Olga Other"]


def test_removing_a_cover_tells_the_teacher_unless_its_day_has_passed(cs, school, admin):
    away(school.teacher_staff, cs.day)
    cover = covering.cover_assign(lesson=cs.maths_7a, day=cs.day, teacher=cs.carla.staff_profile, user=admin)
    earlier = Cover.objects.exclude(pk=cover.pk).get()  # Dan's, last week

    covering.cover_remove(cover=cover, user=admin)
    covering.cover_remove(cover=earlier, user=admin)

    cancelled = Notification.objects.get(kind="cover_cancelled")
    assert cancelled.recipient == cs.carla
    assert cancelled.title.startswith("Cover cancelled: Mathematics · 7A on ")
    assert "the office took the cover back" in cancelled.body
    assert not Notification.objects.filter(recipient=cs.dan).exists()


def test_a_covering_teacher_marked_away_gives_the_lesson_back(cs, school, admin):
    away(school.teacher_staff, cs.day)
    covering.cover_assign(lesson=cs.maths_7a, day=cs.day, teacher=cs.carla.staff_profile, user=admin)

    covering.absence_record(staff=cs.carla.staff_profile, date=cs.day, periods=[cs.periods[0]], user=admin)

    assert not Cover.objects.filter(date=cs.day).exists()
    items = covering.cover_board(cs.day).items
    assert [item.lesson for item in items] == [cs.maths_7a, cs.maths_7a_double]
    assert "Carla Cover" not in names(items[0].candidates)
    assert Notification.objects.get(recipient=cs.carla, kind="cover_cancelled")
