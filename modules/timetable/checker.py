"""Every hard rule of a timetable, checked on the placements themselves: independent of the solver's model
(it shares only the Problem), so a solver mistake shows here instead of in a school.

`check(problem, placements)` takes the whole timetable (locked lessons included) and returns conflicts
(`{"code": ..., "params": {...}}`, put into words by explain.describe); an empty list means every hard rule
holds.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from modules.timetable.problem import ClassReq, Placement, Problem


class _Conflicts(list):
    def add(self, code: str, **params) -> None:
        conflict = {"code": code, "params": params}
        if conflict not in self:
            self.append(conflict)


def _class_params(c: ClassReq) -> dict:
    return {"class": c.label, "class_id": c.requirement_id}


def _slot_params(problem: Problem, weekday: int, period_id: int) -> dict:
    return {"day": weekday, "period": problem.name("period", period_id), "period_id": period_id}


def check(problem: Problem, placements: list[Placement]) -> list[dict]:
    conflicts = _Conflicts()
    classes = {c.requirement_id: c for c in problem.classes}
    occupied = _occupied(problem, placements, classes, conflicts)
    by_class: dict[int, list[Placement]] = defaultdict(list)
    for p, c, _periods in occupied:
        by_class[c.requirement_id].append(p)
    for c in problem.classes:
        _check_class(problem, c, by_class.get(c.requirement_id, []), conflicts)
    _check_joint(problem, by_class, conflicts)
    _check_locked(problem, placements, classes, conflicts)
    _check_places(problem, occupied, conflicts)
    return list(conflicts)


def _occupied(problem: Problem, placements, classes, conflicts: _Conflicts) -> list:
    """Each placement with its class and the periods it takes (those outside the week are conflicts)."""
    position = {period: i for i, period in enumerate(problem.periods)}
    days = set(problem.weekdays)
    occupied = []
    for p in placements:
        c = classes.get(p.requirement_id)
        if c is None:
            conflicts.add("unknown_class", class_id=p.requirement_id)
            continue
        at = position.get(p.period_id)
        if (
            p.weekday not in days
            or at is None
            or p.length not in (1, 2)
            or at + p.length > len(problem.periods)
        ):
            conflicts.add(
                "bad_slot",
                **_class_params(c),
                **_slot_params(problem, p.weekday, p.period_id),
                length=p.length,
            )
            continue
        occupied.append((p, c, [problem.periods[at + k] for k in range(p.length)]))
    return occupied


def _check_class(problem: Problem, c: ClassReq, mine: list[Placement], conflicts: _Conflicts) -> None:
    """Lesson counts, one teacher for the class (its own or a candidate), pins."""
    singles = sum(1 for p in mine if p.length == 1)
    doubles = sum(1 for p in mine if p.length == 2)
    if (singles, doubles) != (c.singles, c.doubles):
        conflicts.add(
            "lesson_count",
            **_class_params(c),
            singles=singles,
            doubles=doubles,
            want_singles=c.singles,
            want_doubles=c.doubles,
        )
    chosen = {p.teacher_id for p in mine}
    if c.candidates:
        if len(chosen) > 1 or not chosen <= set(c.candidates):
            conflicts.add("teacher_not_candidate", **_class_params(c))
    elif c.teachers and not chosen <= {c.teachers[0], None}:
        conflicts.add("teacher_not_candidate", **_class_params(c))
    for weekday, period_id, double in c.pins:
        length = 2 if double else 1
        if not any(p.weekday == weekday and p.period_id == period_id and p.length == length for p in mine):
            conflicts.add("pin_broken", **_class_params(c), **_slot_params(problem, weekday, period_id))


def _check_joint(problem: Problem, by_class, conflicts: _Conflicts) -> None:
    """Joint classes at the same times."""
    joints: dict[int, list[ClassReq]] = defaultdict(list)
    for c in problem.classes:
        if c.joint_id is not None:
            joints[c.joint_id].append(c)
    for members in joints.values():
        slots = [
            Counter((p.weekday, p.period_id, p.length) for p in by_class.get(c.requirement_id, []))
            for c in members
        ]
        if any(s != slots[0] for s in slots[1:]):
            conflicts.add(
                "joint_apart",
                classes=[c.label for c in members],
                class_ids=[c.requirement_id for c in members],
            )


def _check_locked(problem: Problem, placements, classes, conflicts: _Conflicts) -> None:
    """Locked lessons stay where they were."""
    left = Counter((p.requirement_id, p.weekday, p.period_id, p.length) for p in placements)
    for lock in problem.locked:
        key = (lock.requirement_id, lock.weekday, lock.period_id, lock.length)
        if left[key] > 0:
            left[key] -= 1
        elif lock.requirement_id in classes:
            conflicts.add(
                "locked_moved",
                **_class_params(classes[lock.requirement_id]),
                **_slot_params(problem, lock.weekday, lock.period_id),
            )


def _check_places(problem: Problem, occupied, conflicts: _Conflicts) -> None:
    """Nobody and no room in two places at once (members of one joint group excepted), availability, rooms
    allowed, teachers' most periods a day."""
    teacher_at: dict[tuple[int, int, int], set] = defaultdict(set)
    section_at: dict[tuple[int, int, int], set] = defaultdict(set)
    room_at: dict[tuple[int, int, int], set] = defaultdict(set)
    per_day: dict[tuple[int, int], set] = defaultdict(set)
    for p, c, periods in occupied:
        group = ("joint", c.joint_id) if c.joint_id is not None else ("class", c.requirement_id, id(p))
        teachers = set(c.teachers) | ({p.teacher_id} if p.teacher_id is not None else set())
        if c.rooms and p.room_id not in c.rooms:
            conflicts.add(
                "room_not_allowed",
                **_class_params(c),
                room=problem.name("room", p.room_id),
                room_id=p.room_id,
            )
        if c.room_missing:
            conflicts.add("no_room", **_class_params(c))
        for period_id in periods:
            slot = (p.weekday, period_id)
            where = {**_class_params(c), **_slot_params(problem, *slot)}
            for t in teachers:
                teacher_at[(t, *slot)].add(group)
                per_day[(t, p.weekday)].add(period_id)
                if slot in problem.teacher_unavailable.get(t, set()):
                    conflicts.add("unavailable", teacher=problem.name("teacher", t), teacher_id=t, **where)
            section_at[(c.section_id, *slot)].add(group)
            if p.room_id is not None:
                room_at[(p.room_id, *slot)].add(group)
                if slot in problem.room_unavailable.get(p.room_id, set()):
                    conflicts.add(
                        "unavailable", room=problem.name("room", p.room_id), room_id=p.room_id, **where
                    )
    for kind, at in (("teacher", teacher_at), ("section", section_at), ("room", room_at)):
        for (pk, weekday, period_id), groups in at.items():
            if len(groups) > 1:
                conflicts.add(
                    f"{kind}_clash",
                    **{kind: problem.name(kind, pk), f"{kind}_id": pk},
                    **_slot_params(problem, weekday, period_id),
                )
    for (t, weekday), taught in per_day.items():
        most = problem.teacher_max_per_day.get(t)
        if most is not None and len(taught) > most:
            conflicts.add(
                "teacher_day_limit",
                teacher=problem.name("teacher", t),
                teacher_id=t,
                day=weekday,
                lessons=len(taught),
                max=most,
            )
