"""Every hard rule of a timetable, checked on the placements themselves: independent of the solver's model
(it shares only the Problem), so a solver mistake shows here instead of in a school.

`check(problem, placements)` takes the whole timetable (locked lessons included) and returns conflicts
(`{"code": ..., "params": {...}}`, put into words by explain.describe); an empty list means every hard rule
holds.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from modules.timetable.problem import ClassReq, Placement, Problem


def check(problem: Problem, placements: list[Placement]) -> list[dict]:
    conflicts: list[dict] = []
    classes = {c.requirement_id: c for c in problem.classes}
    position = {period: i for i, period in enumerate(problem.periods)}
    days = set(problem.weekdays)

    def add(code: str, **params) -> None:
        conflict = {"code": code, "params": params}
        if conflict not in conflicts:
            conflicts.append(conflict)

    def class_params(c: ClassReq) -> dict:
        return {"class": c.label, "class_id": c.requirement_id}

    def slot_params(weekday: int, period_id: int) -> dict:
        return {"day": weekday, "period": problem.name("period", period_id), "period_id": period_id}

    # Who and what each placement occupies, period by period.
    occupied: list[tuple[Placement, ClassReq, list[int]]] = []
    for p in placements:
        c = classes.get(p.requirement_id)
        if c is None:
            add("unknown_class", class_id=p.requirement_id)
            continue
        at = position.get(p.period_id)
        if (
            p.weekday not in days
            or at is None
            or p.length not in (1, 2)
            or at + p.length > len(problem.periods)
        ):
            add("bad_slot", **class_params(c), **slot_params(p.weekday, p.period_id), length=p.length)
            continue
        occupied.append((p, c, [problem.periods[at + k] for k in range(p.length)]))

    # Lesson counts, one teacher per class, joint groups together.
    by_class: dict[int, list[Placement]] = defaultdict(list)
    for p, c, _periods in occupied:
        by_class[c.requirement_id].append(p)
    for c in problem.classes:
        mine = by_class.get(c.requirement_id, [])
        singles = sum(1 for p in mine if p.length == 1)
        doubles = sum(1 for p in mine if p.length == 2)
        if (singles, doubles) != (c.singles, c.doubles):
            add(
                "lesson_count",
                **class_params(c),
                singles=singles,
                doubles=doubles,
                want_singles=c.singles,
                want_doubles=c.doubles,
            )
        chosen = {p.teacher_id for p in mine}
        if c.candidates:
            if len(chosen) > 1 or not chosen <= set(c.candidates):
                add("teacher_not_candidate", **class_params(c))
        elif c.teachers and not chosen <= {c.teachers[0]}:
            add("teacher_not_candidate", **class_params(c))
        for weekday, period_id, double in c.pins:
            if not any(
                p.weekday == weekday and p.period_id == period_id and p.length == (2 if double else 1)
                for p in mine
            ):
                add("pin_broken", **class_params(c), **slot_params(weekday, period_id))
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
            add(
                "joint_apart",
                classes=[c.label for c in members],
                class_ids=[c.requirement_id for c in members],
            )

    # Locked lessons stay where they were.
    left = Counter((p.requirement_id, p.weekday, p.period_id, p.length) for p in placements)
    for lock in problem.locked:
        key = (lock.requirement_id, lock.weekday, lock.period_id, lock.length)
        if left[key] > 0:
            left[key] -= 1
        elif lock.requirement_id in classes:
            add(
                "locked_moved",
                **class_params(classes[lock.requirement_id]),
                **slot_params(lock.weekday, lock.period_id),
            )

    # Nobody and no room in two places at once (members of one joint group excepted), availability, rooms.
    teacher_at: dict[tuple[int, int, int], set] = defaultdict(set)
    section_at: dict[tuple[int, int, int], set] = defaultdict(set)
    room_at: dict[tuple[int, int, int], set] = defaultdict(set)
    per_day: dict[tuple[int, int], set] = defaultdict(set)
    for p, c, periods in occupied:
        group = ("joint", c.joint_id) if c.joint_id is not None else ("class", c.requirement_id, id(p))
        teachers = set(c.teachers) | ({p.teacher_id} if p.teacher_id is not None else set())
        if c.rooms and p.room_id not in c.rooms:
            add(
                "room_not_allowed", **class_params(c), room=problem.name("room", p.room_id), room_id=p.room_id
            )
        if c.room_missing:
            add("no_room", **class_params(c))
        for period_id in periods:
            slot = (p.weekday, period_id)
            for t in teachers:
                teacher_at[(t, *slot)].add(group)
                per_day[(t, p.weekday)].add((period_id, group))
                if slot in problem.teacher_unavailable.get(t, set()):
                    add(
                        "unavailable",
                        teacher=problem.name("teacher", t),
                        teacher_id=t,
                        **class_params(c),
                        **slot_params(*slot),
                    )
            section_at[(c.section_id, *slot)].add(group)
            if p.room_id is not None:
                room_at[(p.room_id, *slot)].add(group)
                if slot in problem.room_unavailable.get(p.room_id, set()):
                    add(
                        "unavailable",
                        room=problem.name("room", p.room_id),
                        room_id=p.room_id,
                        **class_params(c),
                        **slot_params(*slot),
                    )
    for (t, weekday, period_id), groups in teacher_at.items():
        if len(groups) > 1:
            add(
                "teacher_clash",
                teacher=problem.name("teacher", t),
                teacher_id=t,
                **slot_params(weekday, period_id),
            )
    for (s, weekday, period_id), groups in section_at.items():
        if len(groups) > 1:
            add(
                "section_clash",
                section=problem.name("section", s),
                section_id=s,
                **slot_params(weekday, period_id),
            )
    for (r, weekday, period_id), groups in room_at.items():
        if len(groups) > 1:
            add("room_clash", room=problem.name("room", r), room_id=r, **slot_params(weekday, period_id))
    for (t, weekday), taught in per_day.items():
        most = problem.teacher_max_per_day.get(t)
        periods_taught = len({period_id for period_id, _group in taught})
        if most is not None and periods_taught > most:
            add(
                "teacher_day_limit",
                teacher=problem.name("teacher", t),
                teacher_id=t,
                day=weekday,
                lessons=periods_taught,
                max=most,
            )
    return conflicts
