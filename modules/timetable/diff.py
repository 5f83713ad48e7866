"""What a timetable changes against another (a draft against the live one): per class, the lessons it
drops and the lessons it adds; a lesson is its weekday, period, length, room and teacher."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from modules.academics.models import CourseOffering, Weekday
from modules.timetable.models import Lesson, Timetable


@dataclass(frozen=True)
class Place:
    weekday: int | None
    period: str
    period_order: int
    length: int
    room: str
    teacher: str

    @property
    def weekday_name(self) -> str:
        return str(Weekday(self.weekday).label) if self.weekday is not None else ""


@dataclass
class ClassChange:
    offering: CourseOffering
    removed: list[Place] = field(default_factory=list)
    added: list[Place] = field(default_factory=list)


@dataclass
class Diff:
    changes: list[ClassChange]
    unchanged: int

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def _place(lesson: Lesson) -> Place:
    return Place(
        weekday=lesson.weekday,
        period=lesson.period.name if lesson.period else "",
        period_order=lesson.period.order if lesson.period else 0,
        length=lesson.length,
        room=lesson.room.name if lesson.room else "",
        teacher=lesson.teacher.full_name if lesson.teacher else "",
    )


def _lessons(timetable: Timetable | None) -> list[Lesson]:
    if timetable is None:
        return []
    return list(
        timetable.lessons.select_related(
            "offering__subject", "offering__section", "period", "room", "teacher"
        )
    )


def timetable_diff(*, timetable: Timetable, against: Timetable | None) -> Diff:
    """`timetable`'s lessons against `against`'s (None: everything is added), class by class."""
    offerings: dict[int, CourseOffering] = {}
    before: dict[int, Counter] = {}
    after: dict[int, Counter] = {}
    for lessons, side in ((_lessons(against), before), (_lessons(timetable), after)):
        for lesson in lessons:
            offerings.setdefault(lesson.offering_id, lesson.offering)
            side.setdefault(lesson.offering_id, Counter())[_place(lesson)] += 1
    changes = []
    unchanged = 0
    order = sorted(offerings.values(), key=lambda o: (o.section.name, o.subject.name))
    for offering in order:
        old = before.get(offering.pk, Counter())
        new = after.get(offering.pk, Counter())
        unchanged += sum((old & new).values())
        key = lambda place: (place.weekday if place.weekday is not None else 99, place.period_order)  # noqa: E731
        removed = sorted((old - new).elements(), key=key)
        added = sorted((new - old).elements(), key=key)
        if removed or added:
            changes.append(ClassChange(offering=offering, removed=removed, added=added))
    return Diff(changes=changes, unchanged=unchanged)
