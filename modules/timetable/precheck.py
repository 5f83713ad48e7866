"""Contradictions in a year's requirements that can be seen without the solver, before generating.

`precheck(year)` returns conflicts (`{"code": ..., "params": {...}}`, the shape the solver and the checker
use, stored names as text at the time and ids), each of which makes a complete timetable impossible: more
periods than the week has for a section, a teacher, a room or a kind of room; a teacher over their most
periods a day on every day; joint lessons whose classes have different counts; a class without a teacher,
or with one who left; no room of the kind a class needs big enough for it; doubles that cannot fit; fixed
lessons outside the week, on a teacher's unavailable period or on top of each other.

A handful of queries whatever the school's size; the arithmetic is per teacher, room and section.
The codes and params are explain.py's (the solver's words), and `describe(conflict)` here puts into words
the three only the precheck finds (no teaching periods, a class without a teacher, a teacher who left).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, Q

from modules.academics.models import AcademicYear, Room, Section
from modules.timetable import explain
from modules.timetable.models import Requirement, TeacherLimit, Unavailability
from modules.timetable.requirements import Week, week_for

Conflict = dict[str, Any]


def _conflict(code: str, **params: Any) -> Conflict:
    return {"code": code, "params": params}


def _label(requirement: Requirement) -> str:
    """As the solver names a class (problem.py), so that both read the same on the generate page."""
    return f"{requirement.offering.section.name} {requirement.offering.subject.name}"


def precheck(year: AcademicYear, *, week: Week | None = None) -> list[Conflict]:
    """The cheap contradictions of the year's requirements (empty: none found; the solver may still find
    some). `week`: the year's teaching week when the caller has it already."""
    week = week if week is not None else week_for(year)
    if not week.slots:
        return [_conflict("no_teaching_periods")]
    requirements = list(
        Requirement.objects.filter(offering__section__year=year)
        .select_related(
            "offering__section__room", "offering__subject", "offering__teacher", "room", "room_type", "joint"
        )
        .prefetch_related("co_teachers", "candidate_teachers", "pins__period")
    )
    if not requirements:
        return []
    in_week = {(day, period.pk) for day in week.weekdays for period in week.periods}
    blocked_staff: dict[int, set] = defaultdict(set)
    blocked_room: dict[int, set] = defaultdict(set)
    for staff_id, room_id, day, period_id in Unavailability.objects.filter(year=year).values_list(
        "staff_id", "room_id", "weekday", "period_id"
    ):
        if (day, period_id) in in_week:
            (blocked_staff[staff_id] if staff_id else blocked_room[room_id]).add((day, period_id))
    sizes = dict(
        Section.objects.filter(year=year)
        .annotate(size=Count("enrollments", filter=Q(enrollments__status="active")))
        .values_list("pk", "size")
    )
    rooms = list(Room.objects.select_related("room_type"))
    context = _Context(
        week=week, blocked_staff=blocked_staff, blocked_room=blocked_room, sizes=sizes, rooms=rooms
    )
    conflicts: list[Conflict] = []
    conflicts += _joint_mismatches(requirements)
    for requirement in requirements:
        conflicts += _class_problems(requirement, context)
    conflicts += _section_load(requirements, week)
    conflicts += _teacher_load(requirements, context, year)
    conflicts += _room_load(requirements, context)
    conflicts += _pin_clashes(requirements, week)
    return conflicts


class _Context:
    def __init__(self, *, week: Week, blocked_staff, blocked_room, sizes, rooms):
        self.week = week
        self.blocked_staff = blocked_staff
        self.blocked_room = blocked_room
        self.sizes = sizes
        self.rooms = rooms


def _teachers(requirement: Requirement) -> list:
    """The teachers of every lesson of the class: its own and its co-teachers."""
    found = [requirement.offering.teacher] if requirement.offering.teacher else []
    return found + [
        person for person in requirement.co_teachers.all() if person.pk != requirement.offering.teacher_id
    ]


def _joint_mismatches(requirements: list[Requirement]) -> list[Conflict]:
    groups: dict[int, list[Requirement]] = defaultdict(list)
    for requirement in requirements:
        if requirement.joint_id:
            groups[requirement.joint_id].append(requirement)
    conflicts = []
    for members in groups.values():
        if len({(r.periods_per_week, r.double_lessons) for r in members}) > 1:
            joint = members[0].joint
            assert joint is not None  # members were grouped by their joint lesson
            conflicts.append(
                _conflict(
                    "joint_mismatch",
                    joint=joint.name,
                    joint_id=joint.pk,
                    classes=[f"{_label(r)} ({r.periods_per_week}/{r.double_lessons})" for r in members],
                )
            )
    return conflicts


def _allowed_rooms(requirement: Requirement, context: _Context) -> list[Room] | None:
    """The rooms the class may take (None: the school has no rooms, so none is needed)."""
    if requirement.room is not None:
        return [requirement.room]
    if not context.rooms:
        return None
    size = context.sizes.get(requirement.offering.section_id, 0)

    def fits(room: Room) -> bool:
        return room.capacity is None or room.capacity >= size

    if requirement.room_type_id is not None:
        return [
            room for room in context.rooms if room.room_type_id == requirement.room_type_id and fits(room)
        ]
    if requirement.offering.section.room is not None:
        return [requirement.offering.section.room]
    return [room for room in context.rooms if fits(room)]


def _class_problems(requirement: Requirement, context: _Context) -> list[Conflict]:
    label, class_id = _label(requirement), requirement.pk
    conflicts = []
    teachers = _teachers(requirement)
    # Qualified teachers count only for a class without its own teacher (the solver ignores them otherwise).
    candidates = [] if requirement.offering.teacher_id else list(requirement.candidate_teachers.all())
    if not teachers and not candidates:
        conflicts.append(_conflict("no_teacher", **{"class": label, "class_id": class_id}))
    for person in teachers + candidates:
        if not person.is_active:
            conflicts.append(
                _conflict(
                    "teacher_inactive",
                    teacher=person.full_name,
                    teacher_id=person.pk,
                    **{"class": label, "class_id": class_id},
                )
            )
    rooms = _allowed_rooms(requirement, context)
    if rooms is not None and not rooms:
        conflicts.append(
            _conflict(
                "no_room",
                room_type=requirement.room_type.name if requirement.room_type else "",
                size=context.sizes.get(requirement.offering.section_id, 0),
                **{"class": label, "class_id": class_id},
            )
        )
    blocked = set().union(*(context.blocked_staff.get(person.pk, set()) for person in teachers))
    if requirement.room_id:
        blocked |= context.blocked_room.get(requirement.room_id, set())
    if requirement.double_lessons:
        fits = _double_room(context.week, blocked)
        if fits < requirement.double_lessons:
            conflicts.append(
                _conflict(
                    "double_impossible",
                    doubles=requirement.double_lessons,
                    fits=fits,
                    **{"class": label, "class_id": class_id},
                )
            )
    week_days, week_periods = set(context.week.weekdays), list(context.week.periods)
    for pin in requirement.pins.all():
        where = {"day": pin.weekday, "period": pin.period.name, "period_id": pin.period_id}
        covered = _pin_periods(pin, week_periods)
        if pin.weekday not in week_days or covered is None:
            conflicts.append(_conflict("bad_slot", **where, **{"class": label, "class_id": class_id}))
            continue
        for person in teachers:
            if any((pin.weekday, pid) in context.blocked_staff.get(person.pk, set()) for pid in covered):
                conflicts.append(
                    _conflict(
                        "unavailable",
                        teacher=person.full_name,
                        teacher_id=person.pk,
                        **where,
                        **{"class": label, "class_id": class_id},
                    )
                )
    return conflicts


def _pin_periods(pin, periods: list) -> list[int] | None:
    """The teaching period ids a fixed lesson takes (None: not inside the teaching week)."""
    ids = [period.pk for period in periods]
    if pin.period_id not in ids:
        return None
    start = ids.index(pin.period_id)
    covered = ids[start : start + (2 if pin.double else 1)]
    return covered if len(covered) == (2 if pin.double else 1) else None


def _double_room(week: Week, blocked: set) -> int:
    """How many double lessons fit in the week around these blocked slots (at most one pair per run of two
    free adjacent periods; several a day)."""
    fits = 0
    for day in week.weekdays:
        run = 0
        for period in week.periods:
            if (day, period.pk) in blocked:
                fits += run // 2
                run = 0
            else:
                run += 1
        fits += run // 2
    return fits


def _once_per_joint(requirements, key) -> dict[Any, int]:
    """Periods a week per key (a section, a teacher, a room): joint classes that share it count once."""
    totals: dict[Any, int] = defaultdict(int)
    seen: set = set()
    for requirement in requirements:
        for owner in key(requirement):
            if requirement.joint_id is not None:
                if (owner, requirement.joint_id) in seen:
                    continue
                seen.add((owner, requirement.joint_id))
            totals[owner] += requirement.periods_per_week
    return totals


def _section_load(requirements: list[Requirement], week: Week) -> list[Conflict]:
    names = {r.offering.section_id: r.offering.section.name for r in requirements}
    totals = _once_per_joint(requirements, lambda r: [r.offering.section_id])
    return [
        _conflict("section_overloaded", section=names[pk], section_id=pk, lessons=total, available=week.slots)
        for pk, total in totals.items()
        if total > week.slots
    ]


def _teacher_load(requirements: list[Requirement], context: _Context, year: AcademicYear) -> list[Conflict]:
    people = {person.pk: person for r in requirements for person in _teachers(r)}
    totals = _once_per_joint(requirements, lambda r: [person.pk for person in _teachers(r)])
    limits = dict(
        TeacherLimit.objects.filter(year=year, max_periods_per_day__isnull=False).values_list(
            "staff_id", "max_periods_per_day"
        )
    )
    week = context.week
    conflicts = []
    for pk, total in totals.items():
        blocked = context.blocked_staff.get(pk, set())
        available = week.slots - len(blocked)
        name = people[pk].full_name
        if total > available:
            conflicts.append(
                _conflict(
                    "teacher_overloaded", teacher=name, teacher_id=pk, lessons=total, available=available
                )
            )
            continue
        most = limits.get(pk)
        if most is None:
            continue
        per_day = [
            min(most, sum(1 for period in week.periods if (day, period.pk) not in blocked))
            for day in week.weekdays
        ]
        if total > sum(per_day):
            conflicts.append(
                _conflict(
                    "teacher_day_limit",
                    teacher=name,
                    teacher_id=pk,
                    lessons=total,
                    max=most,
                    teaching_days=len(week.weekdays),
                    available=sum(per_day),
                )
            )
    return conflicts


def _room_load(requirements: list[Requirement], context: _Context) -> list[Conflict]:
    week = context.week
    conflicts = []
    fixed = [r for r in requirements if r.room_id]
    names = {r.room_id: r.room.name for r in fixed if r.room is not None}
    for pk, total in _once_per_joint(fixed, lambda r: [r.room_id]).items():
        available = week.slots - len(context.blocked_room.get(pk, set()))
        if total > available:
            conflicts.append(
                _conflict(
                    "room_type_short",
                    room_type=names[pk],
                    room_id=pk,
                    lessons=total,
                    rooms=1,
                    available=available,
                )
            )
    typed = [r for r in requirements if r.room_type_id and not r.room_id]
    kinds = {r.room_type_id: r.room_type.name for r in typed if r.room_type is not None}
    for pk, total in _once_per_joint(typed, lambda r: [r.room_type_id]).items():
        of_kind = [room for room in context.rooms if room.room_type_id == pk]
        if not of_kind:
            continue  # each class says "no_room" already
        available = sum(week.slots - len(context.blocked_room.get(room.pk, set())) for room in of_kind)
        if total > available:
            conflicts.append(
                _conflict(
                    "room_type_short",
                    room_type=kinds[pk],
                    room_type_id=pk,
                    lessons=total,
                    rooms=len(of_kind),
                    available=available,
                )
            )
    return conflicts


def _pin_clashes(requirements: list[Requirement], week: Week) -> list[Conflict]:
    """Two fixed lessons of different classes (not one joint lesson) at one time for a section or teacher."""
    taken: dict[tuple, tuple[Requirement, str]] = {}
    conflicts = []
    periods = list(week.periods)
    names = {period.pk: period.name for period in periods}
    for requirement in requirements:
        owners = [("section", requirement.offering.section_id)] + [
            ("teacher", person.pk) for person in _teachers(requirement)
        ]
        for pin in requirement.pins.all():
            covered = _pin_periods(pin, periods)
            if covered is None or pin.weekday not in week.weekdays:
                continue
            for period_id in covered:
                for owner in owners:
                    key = (owner, pin.weekday, period_id)
                    other = taken.get(key)
                    if other is None:
                        taken[key] = (requirement, pin.period.name)
                    elif other[0].pk != requirement.pk and (
                        other[0].joint_id is None or other[0].joint_id != requirement.joint_id
                    ):
                        conflicts.append(
                            _conflict(
                                "pin_clash",
                                classes=[_label(other[0]), _label(requirement)],
                                class_ids=[other[0].pk, requirement.pk],
                                day=pin.weekday,
                                period=names[period_id],
                                period_id=period_id,
                            )
                        )
    unique: list[Conflict] = []
    for conflict in conflicts:
        if conflict not in unique:
            unique.append(conflict)
    return unique


# Words: every code, the precheck's own included, is put into words by explain.py.
describe = explain.describe


CODES = (
    "no_teaching_periods",
    "no_teacher",
    "teacher_inactive",
    "joint_mismatch",
    "no_room",
    "double_impossible",
    "bad_slot",
    "unavailable",
    "pin_clash",
    "section_overloaded",
    "teacher_overloaded",
    "teacher_day_limit",
    "room_type_short",
)
