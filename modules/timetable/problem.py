"""The timetable problem: the year's requirements read from the database into plain data the solver and the
checker work on (no queries after `problem_build`).

Slots are (weekday, period id); `Problem.periods` are the teaching periods in bell order, and a double
period takes a period and the next one in that order on the same day. Names are copied in as text (the
name at the time) so conflicts and broken wishes can be put into words later without the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q

from modules.academics.models import EnrollmentStatus, Period, Room, RoomType
from modules.timetable.models import (
    Requirement,
    TeacherLimit,
    TimetableSettings,
    Unavailability,
    default_weekdays,
)


@dataclass(frozen=True)
class ClassReq:
    """One class's weekly requirement (a course offering's `Requirement`)."""

    requirement_id: int
    offering_id: int
    section_id: int
    label: str
    teachers: tuple[int, ...]  # fixed staff ids (offering teacher first, then co-teachers)
    candidates: tuple[int, ...]  # choose one (only when the offering has no teacher)
    singles: int
    doubles: int
    rooms: tuple[int, ...]  # allowed room ids (empty: no room needed/none known)
    prefer_early: bool
    joint_id: int | None
    pins: tuple[tuple[int, int, bool], ...]  # (weekday, period_id, double)
    # Additions to the contract (defaulted, so a ClassReq built without them still works): the kind of room
    # asked for (to name it in explanations), and whether a room was asked for but none fits, in which case
    # `rooms` is empty and the class cannot be placed ("no_room").
    room_type_id: int | None = None
    room_missing: bool = False

    @property
    def lessons(self) -> int:
        return self.singles + self.doubles

    @property
    def periods_per_week(self) -> int:
        return self.singles + 2 * self.doubles


@dataclass
class Placement:
    requirement_id: int
    weekday: int
    period_id: int
    length: int
    room_id: int | None
    teacher_id: int | None


@dataclass
class Problem:
    year_id: int
    weekdays: tuple[int, ...]
    periods: tuple[int, ...]  # teaching period ids in order
    classes: list[ClassReq]
    teacher_unavailable: dict[int, set[tuple[int, int]]] = field(default_factory=dict)
    room_unavailable: dict[int, set[tuple[int, int]]] = field(default_factory=dict)
    teacher_max_per_day: dict[int, int] = field(default_factory=dict)
    teacher_free_day: dict[int, int] = field(default_factory=dict)
    weights: dict[str, int] = field(default_factory=dict)  # "gaps", "spread", "early", "free_day"
    locked: list[Placement] = field(default_factory=list)  # kept as they are (regenerating the rest)
    # "teacher", "room", "section", "class", "period", "room_type" → id → name
    names: dict[str, dict[int, str]] = field(default_factory=dict)

    def name(self, kind: str, pk: int | None) -> str:
        if pk is None:
            return ""
        return self.names.get(kind, {}).get(pk, str(pk))


def problem_build(*, year, keep: Iterable = ()) -> Problem:
    """The year's requirements as a Problem; `keep` (placed Lessons, usually the locked ones of the draft
    being generated again) become `locked` placements, kept where they are."""
    settings = TimetableSettings.objects.filter(year=year).first()
    weekdays = (
        tuple(sorted(settings.weekdays)) if settings and settings.weekdays else tuple(default_weekdays())
    )
    period_rows = list(settings.periods.order_by("order")) if settings else []
    if not period_rows:
        period_rows = list(Period.objects.order_by("order"))
    weights = {
        "gaps": settings.weight_teacher_gaps if settings else 3,
        "spread": settings.weight_spread if settings else 5,
        "early": settings.weight_early if settings else 2,
        "free_day": settings.weight_free_day if settings else 4,
    }
    requirements = list(
        Requirement.objects.filter(offering__section__year=year)
        .select_related("offering__section", "offering__subject", "offering__teacher", "room")
        .prefetch_related("co_teachers", "candidate_teachers", "pins")
        .annotate(
            size=Count(
                "offering__section__enrollments",
                filter=Q(offering__section__enrollments__status=EnrollmentStatus.ACTIVE),
                distinct=True,
            )
        )
        .order_by(
            "offering__section__grade_level__order", "offering__section__name", "offering__subject__name"
        )
    )
    rooms = list(Room.objects.all())
    names: dict[str, dict[int, str]] = {
        "teacher": {},
        "room": {r.pk: r.name for r in rooms},
        "section": {},
        "class": {},
        "period": {p.pk: p.name for p in period_rows},
        "room_type": {t.pk: t.name for t in RoomType.objects.all()},
    }
    teaching_periods = {p.pk for p in period_rows}

    classes = [_class_req(req, rooms, names) for req in requirements]

    teacher_unavailable: dict[int, set[tuple[int, int]]] = {}
    room_unavailable: dict[int, set[tuple[int, int]]] = {}
    for row in Unavailability.objects.filter(year=year).values("staff_id", "room_id", "weekday", "period_id"):
        slot = (row["weekday"], row["period_id"])
        if row["period_id"] not in teaching_periods or row["weekday"] not in weekdays:
            continue
        if row["staff_id"]:
            teacher_unavailable.setdefault(row["staff_id"], set()).add(slot)
        else:
            room_unavailable.setdefault(row["room_id"], set()).add(slot)
    teacher_max: dict[int, int] = {}
    free_day: dict[int, int] = {}
    for limit in TeacherLimit.objects.filter(year=year).select_related("staff"):
        if limit.max_periods_per_day:
            teacher_max[limit.staff_id] = limit.max_periods_per_day
        if limit.preferred_free_day is not None and limit.preferred_free_day in weekdays:
            free_day[limit.staff_id] = limit.preferred_free_day
        names["teacher"].setdefault(limit.staff_id, limit.staff.full_name)

    requirement_of = {c.offering_id: c.requirement_id for c in classes}
    locked = []
    for lesson in keep:
        if lesson.weekday is None or lesson.period_id is None or lesson.offering_id not in requirement_of:
            continue
        locked.append(
            Placement(
                requirement_id=requirement_of[lesson.offering_id],
                weekday=lesson.weekday,
                period_id=lesson.period_id,
                length=lesson.length,
                room_id=lesson.room_id,
                teacher_id=lesson.teacher_id,
            )
        )
        if lesson.teacher_id and lesson.teacher_id not in names["teacher"]:
            names["teacher"][lesson.teacher_id] = str(lesson.teacher)
    return Problem(
        year_id=year.pk,
        weekdays=weekdays,
        periods=tuple(p.pk for p in period_rows),
        classes=classes,
        teacher_unavailable=teacher_unavailable,
        room_unavailable=room_unavailable,
        teacher_max_per_day=teacher_max,
        teacher_free_day=free_day,
        weights=weights,
        locked=locked,
        names=names,
    )


def _allowed_rooms(req: Requirement, rooms: list[Room]) -> tuple[tuple[int, ...], bool]:
    """The rooms a class may take, and whether it asked for a room none of which fits."""
    size = req.size  # type: ignore[attr-defined]  # annotated by problem_build

    def fits(room: Room) -> bool:
        return room.capacity is None or room.capacity >= size

    if req.room_id:
        return (req.room_id,), False
    if req.room_type_id:
        allowed = tuple(r.pk for r in rooms if r.room_type_id == req.room_type_id and fits(r))
        return allowed, not allowed
    if req.offering.section.room_id:
        return (req.offering.section.room_id,), False
    allowed = tuple(r.pk for r in rooms if fits(r))
    return allowed, bool(rooms) and not allowed


def _class_req(req: Requirement, rooms: list[Room], names: dict[str, dict[int, str]]) -> ClassReq:
    offering = req.offering
    section = offering.section
    names["section"][section.pk] = section.name
    label = f"{section.name} {offering.subject.name}"
    names["class"][req.pk] = label
    co = [t for t in req.co_teachers.all() if offering.teacher_id != t.pk]
    fixed = ([offering.teacher] if offering.teacher else []) + sorted(co, key=lambda t: t.pk)
    candidates = [] if offering.teacher else sorted(req.candidate_teachers.all(), key=lambda t: t.pk)
    for staff in [*fixed, *candidates]:
        names["teacher"][staff.pk] = staff.full_name
    allowed, room_missing = _allowed_rooms(req, rooms)
    pins = tuple(
        (pin.weekday, pin.period_id, pin.double)
        for pin in sorted(req.pins.all(), key=lambda p: (p.weekday, p.period_id))
    )
    return ClassReq(
        requirement_id=req.pk,
        offering_id=offering.pk,
        section_id=section.pk,
        label=label,
        teachers=tuple(t.pk for t in fixed),
        candidates=tuple(t.pk for t in candidates),
        singles=req.single_lessons,
        doubles=req.double_lessons,
        rooms=allowed,
        prefer_early=req.prefer_early,
        joint_id=req.joint_id,
        pins=pins,
        room_type_id=req.room_type_id,
        room_missing=room_missing,
    )
