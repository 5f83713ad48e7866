"""Small hand-made schools as timetable Problems (no database), for the solver, checker and explain tests."""

from __future__ import annotations

from modules.timetable.problem import ClassReq, Problem

WEIGHTS = {"gaps": 3, "spread": 5, "early": 2, "free_day": 4}
P1, P2, P3, P4, P5 = 101, 102, 103, 104, 105
MON, TUE, WED, THU, FRI = 0, 1, 2, 3, 4


def klass(
    rid: int,
    section: int,
    teacher: int | None,
    singles: int,
    doubles: int = 0,
    *,
    rooms: tuple[int, ...] = (),
    pins: tuple[tuple[int, int, bool], ...] = (),
    joint: int | None = None,
    candidates: tuple[int, ...] = (),
    co: tuple[int, ...] = (),
    early: bool = False,
    label: str = "",
    room_type: int | None = None,
    room_missing: bool = False,
) -> ClassReq:
    return ClassReq(
        requirement_id=rid,
        offering_id=1000 + rid,
        section_id=section,
        label=label or f"Class {rid}",
        teachers=((teacher,) if teacher else ()) + co,
        candidates=candidates,
        singles=singles,
        doubles=doubles,
        rooms=rooms,
        prefer_early=early,
        joint_id=joint,
        pins=pins,
        room_type_id=room_type,
        room_missing=room_missing,
    )


def problem(
    classes: list[ClassReq],
    *,
    days: tuple[int, ...] = (MON, TUE, WED, THU, FRI),
    periods: tuple[int, ...] = (P1, P2, P3, P4),
    teacher_unavailable=None,
    room_unavailable=None,
    max_per_day=None,
    free_day=None,
    weights=None,
    locked=None,
    teachers: dict[int, str] | None = None,
    rooms: dict[int, str] | None = None,
    sections: dict[int, str] | None = None,
    room_types: dict[int, str] | None = None,
) -> Problem:
    return Problem(
        year_id=1,
        weekdays=days,
        periods=periods,
        classes=classes,
        teacher_unavailable=teacher_unavailable or {},
        room_unavailable=room_unavailable or {},
        teacher_max_per_day=max_per_day or {},
        teacher_free_day=free_day or {},
        weights=WEIGHTS if weights is None else weights,
        locked=locked or [],
        names={
            "teacher": teachers or {},
            "room": rooms or {},
            "section": sections or {},
            "class": {c.requirement_id: c.label for c in classes},
            "period": {p: f"Period {p - 100}" for p in periods},
            "room_type": room_types or {},
        },
    )


def every_slot(days, periods) -> set[tuple[int, int]]:
    return {(d, p) for d in days for p in periods}
