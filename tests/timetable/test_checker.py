"""The independent checker: a timetable keeping every hard rule passes; each broken rule is named."""

from __future__ import annotations

import pytest

from modules.timetable import explain
from modules.timetable.checker import check
from modules.timetable.problem import Placement
from tests.timetable.solver_schools import MON, P1, P2, P3, P4, TUE, klass, problem

MATHS, ART, HIST = 1, 2, 3


def school(**kwargs):
    classes = [
        klass(MATHS, 1, 10, 1, 1, rooms=(20, 21), label="7A Maths"),
        klass(ART, 1, 11, 1, rooms=(20,), label="7A Art"),
        klass(HIST, 2, 11, 2, rooms=(21,), label="7B History"),
    ]
    return problem(
        classes,
        teachers={10: "Ms Ortiz", 11: "Mr Li"},
        rooms={20: "Room 1", 21: "Room 2"},
        sections={1: "7A", 2: "7B"},
        **kwargs,
    )


def at(rid, day, period, length=1, room=None, teacher=None):
    return Placement(
        requirement_id=rid, weekday=day, period_id=period, length=length, room_id=room, teacher_id=teacher
    )


def good():
    return [
        at(MATHS, MON, P1, 2, 20, 10),
        at(MATHS, TUE, P1, 1, 21, 10),
        at(ART, MON, P3, 1, 20, 11),
        at(HIST, MON, P1, 1, 21, 11),
        at(HIST, TUE, P2, 1, 21, 11),
    ]


def codes(conflicts) -> list[str]:
    return sorted(c["code"] for c in conflicts)


def test_it_passes_a_timetable_keeping_every_rule():
    assert check(school(), good()) == []


def test_it_names_a_teacher_in_two_places():
    placements = good()
    placements[3] = at(HIST, MON, P3, 1, 21, 11)  # Mr Li teaches 7A Art then too

    conflicts = check(school(), placements)

    assert conflicts == [
        {
            "code": "teacher_clash",
            "params": {
                "teacher": "Mr Li",
                "teacher_id": 11,
                "day": MON,
                "period": "Period 3",
                "period_id": P3,
            },
        }
    ]
    assert explain.describe(conflicts[0]) == "Mr Li has two lessons on Monday, Period 3."


def test_it_names_a_section_and_a_room_in_two_places_during_a_double():
    placements = good()
    placements[2] = at(ART, MON, P2, 1, 20, 11)  # 7A's double maths takes P1 and P2 in Room 1

    assert codes(check(school(), placements)) == ["room_clash", "section_clash"]


def test_it_names_wrong_counts_rooms_and_teachers():
    placements = good()
    placements[1] = at(MATHS, TUE, P1, 1, 20, 11)  # another teacher
    placements[4] = at(HIST, TUE, P2, 1, 20, 11)  # not its room
    placements.append(at(ART, TUE, P4, 1, 20, 11))  # one too many

    assert codes(check(school(), placements)) == ["lesson_count", "room_not_allowed", "teacher_not_candidate"]


def test_it_names_availability_limits_and_slots():
    placements = good()
    placements.append(at(MATHS, MON, P4, 2, 20, 10))  # a double from the last period
    conflicts = check(
        school(
            teacher_unavailable={10: {(TUE, P1)}},
            room_unavailable={21: {(MON, P1)}},
            max_per_day={11: 1},
        ),
        placements,
    )

    assert codes(conflicts) == ["bad_slot", "teacher_day_limit", "unavailable", "unavailable"]
    words = [explain.describe(c) for c in conflicts]
    assert "7A Maths on Tuesday, Period 1: Ms Ortiz is unavailable then." in words
    assert "Mr Li teaches 2 periods on Monday, more than their most of 1 a day." in words


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("pin", "pin_broken"),
        ("locked", "locked_moved"),
        ("joint", "joint_apart"),
    ],
)
def test_it_names_pins_locked_lessons_and_joint_classes_out_of_place(change, code):
    classes = [
        klass(
            MATHS,
            1,
            10,
            1,
            pins=((TUE, P4, False),) if change == "pin" else (),
            joint=1 if change == "joint" else None,
        ),
        klass(ART, 2, 11, 1, joint=1 if change == "joint" else None),
    ]
    locked = [at(MATHS, TUE, P4, 1, None, 10)] if change == "locked" else []
    school_ = problem(classes, locked=locked)

    conflicts = check(school_, [at(MATHS, MON, P1, 1, None, 10), at(ART, MON, P2, 1, None, 11)])

    assert codes(conflicts) == [code]
    assert explain.describe(conflicts[0]) != code
