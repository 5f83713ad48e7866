"""Generating a timetable synchronously (timetable_generate_now: the demo and tests call it)."""

from __future__ import annotations

from collections import Counter

import pytest

from modules.core.models import AuditEvent
from modules.timetable.generating import timetable_generate_now
from modules.timetable.models import Lesson, Outcome, Requirement, TimetableStatus
from tests.timetable.drafts_school import small_school

pytestmark = pytest.mark.django_db


def occupied(lessons: list[Lesson], periods) -> Counter:
    """(who, weekday, period order) for every period each lesson takes: a count above 1 is a clash."""
    order = {period.pk: period.order for period in periods}
    seen: Counter = Counter()
    for lesson in lessons:
        for step in range(lesson.length):
            slot = (lesson.weekday, order[lesson.period_id] + step)
            seen[("teacher", lesson.teacher_id, *slot)] += 1
            seen[("section", lesson.offering.section_id, *slot)] += 1
            if lesson.room_id:
                seen[("room", lesson.room_id, *slot)] += 1
    return seen


def test_it_generates_a_complete_draft_with_every_lesson(school, admin):
    small = small_school(school)

    timetable = timetable_generate_now(year=school.year, user=admin, name="First try", time_limit=10)

    assert timetable.name == "First try"
    assert timetable.status == TimetableStatus.DRAFT
    assert timetable.outcome == Outcome.COMPLETE
    assert timetable.generated_at is not None
    assert timetable.score is not None
    lessons = list(timetable.lessons.select_related("offering"))
    assert len(lessons) == small.lesson_count
    assert all(lesson.weekday is not None for lesson in lessons)
    by_class = Counter((lesson.offering_id, lesson.length) for lesson in lessons)
    assert by_class[(small.maths.pk, 2)] == 1
    assert by_class[(small.maths.pk, 1)] == 2
    assert by_class[(small.history.pk, 1)] == 3
    assert max(occupied(lessons, small.periods).values()) == 1
    assert {lesson.teacher_id for lesson in lessons if lesson.offering_id == small.maths.pk} == {
        school.teacher_staff.pk
    }
    assert AuditEvent.objects.filter(action="timetable.generate", object_id=str(timetable.pk)).exists()


def test_it_says_why_when_the_requirements_cannot_hold(school, admin):
    small_school(school)
    # 4 periods a day × 5 days = 20 for 7A; 24 periods of maths cannot fit with English besides.
    Requirement.objects.filter(offering=school.offering).update(periods_per_week=20, double_lessons=0)

    timetable = timetable_generate_now(year=school.year, user=admin, name="Too much", time_limit=10)

    assert timetable.outcome == Outcome.INFEASIBLE
    assert timetable.conflicts
    assert all("code" in conflict for conflict in timetable.conflicts)
    assert not timetable.lessons.placed().exists()


def test_it_places_what_it_can_when_asked_for_a_partial_timetable(school, admin):
    small_school(school)
    Requirement.objects.filter(offering=school.offering).update(periods_per_week=20, double_lessons=0)

    timetable = timetable_generate_now(
        year=school.year, user=admin, name="Best we can", partial=True, time_limit=10
    )

    assert timetable.outcome == Outcome.PARTIAL
    unplaced = list(timetable.lessons.filter(weekday__isnull=True))
    assert unplaced
    assert all(lesson.reason.get("code") for lesson in unplaced)
    assert (
        timetable.lessons.placed().filter(offering__section=school.section).count() == 20
    )  # 7A's whole week
