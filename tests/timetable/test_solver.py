"""The solver on small hand-made schools with known answers: a timetable that exists is found and keeps every
rule; one that cannot exist is explained by the requirements that clash (and only those); partial
timetables say why lessons were left out; locked lessons, pins, joint classes and chosen teachers hold."""

from __future__ import annotations

import time
from collections import Counter

from modules.timetable import explain
from modules.timetable.checker import check
from modules.timetable.problem import Placement
from modules.timetable.solver import Plan, explain_infeasible, solve, wishes_broken
from tests.timetable.solver_schools import FRI, MON, P1, P2, P3, P4, THU, TUE, WED, every_slot, klass, problem

LIMIT = 20


def by_class(solution) -> Counter:
    return Counter(p.requirement_id for p in solution.placements)


def test_it_places_every_lesson_of_a_feasible_school():
    # Two sections, three teachers, 16 periods a week each in a 20-period week, a double in each section.
    classes = [
        klass(1, 1, 1, 3, 1, rooms=(11,), label="7A Maths"),
        klass(2, 1, 2, 4, rooms=(11,), label="7A English"),
        klass(3, 1, 3, 3, 1, rooms=(11,), label="7A Science"),
        klass(4, 2, 1, 3, 1, rooms=(12,), label="7B Maths"),
        klass(5, 2, 2, 4, rooms=(12,), label="7B English"),
        klass(6, 2, 3, 3, 1, rooms=(12,), label="7B Science"),
    ]
    school = problem(classes, teacher_unavailable={3: {(MON, P1), (MON, P2)}}, max_per_day={2: 2})

    solution = solve(school, time_limit=LIMIT)

    assert solution.outcome == "complete"
    assert check(school, solution.placements) == []
    assert solution.unplaced == []
    assert by_class(solution) == {1: 4, 2: 4, 3: 4, 4: 4, 5: 4, 6: 4}
    assert solution.score == sum(b["weight"] for b in wishes_broken(school, solution.placements))
    assert solution.stats["status"] in ("OPTIMAL", "FEASIBLE")
    assert solution.stats["variables"] > 0
    assert {p.room_id for p in solution.placements if p.requirement_id in (1, 2, 3)} == {11}


def test_it_names_the_teacher_with_more_lessons_than_free_periods():
    # Ms Ortiz teaches 8 + 7 periods but is free for only 14 of the 20; the other classes are innocent.
    classes = [
        klass(1, 1, 1, 8, label="7A Maths"),
        klass(2, 2, 1, 5, 1, label="7B Maths"),
        klass(3, 1, 2, 6, label="7A English"),
        klass(4, 2, 3, 6, label="7B English"),
    ]
    ortiz_away = {(FRI, p) for p in (P1, P2, P3, P4)} | {(THU, P1), (THU, P2)}
    school = problem(
        classes, teacher_unavailable={1: ortiz_away}, teachers={1: "Ms Ortiz", 2: "Mr Li", 3: "Ms Bo"}
    )

    solution = solve(school, time_limit=LIMIT)

    assert solution.outcome == "infeasible"
    assert solution.placements == []
    assert solution.conflicts == [
        {
            "code": "teacher_overloaded",
            "params": {"teacher": "Ms Ortiz", "teacher_id": 1, "lessons": 15, "available": 14},
        }
    ]
    assert (
        explain.describe(solution.conflicts[0]) == "Ms Ortiz has 15 lessons but is available for 14 periods."
    )


def test_it_names_the_section_with_more_lessons_than_the_week():
    classes = [
        klass(1, 1, 1, 10, label="7A Maths"),
        klass(2, 1, 2, 11, label="7A English"),
        klass(3, 2, 3, 10, label="7B Maths"),
    ]
    school = problem(classes, sections={1: "7A", 2: "7B"})

    solution = solve(school, time_limit=LIMIT)

    assert solution.outcome == "infeasible"
    assert solution.conflicts == [
        {
            "code": "section_overloaded",
            "params": {"section": "7A", "section_id": 1, "lessons": 21, "available": 20},
        }
    ]
    assert explain.describe(solution.conflicts[0]) == "7A has 21 lessons but the week has 20 periods."


def test_it_names_the_kind_of_room_short_on_the_days_its_lessons_can_be_taught():
    # Three science teachers are only in on Tuesday afternoon (two periods), seven lab lessons, two labs.
    afternoon_only = every_slot((MON, TUE, WED, THU, FRI), (P1, P2, P3, P4)) - {(TUE, P3), (TUE, P4)}
    labs = (21, 22)
    classes = [
        klass(1, 1, 1, 2, rooms=labs, room_type=5, label="7A Science"),
        klass(2, 2, 2, 2, rooms=labs, room_type=5, label="7B Science"),
        klass(3, 3, 3, 2, rooms=labs, room_type=5, label="7C Science"),
        klass(4, 4, 4, 1, rooms=labs, room_type=5, label="7D Science"),
        klass(5, 1, 5, 5, rooms=(31,), label="7A English"),
    ]
    school = problem(
        classes,
        teacher_unavailable={t: set(afternoon_only) for t in (1, 2, 3, 4)},
        room_types={5: "Labs"},
        rooms={21: "Lab 1", 22: "Lab 2"},
    )

    solution = solve(school, time_limit=LIMIT)

    assert solution.outcome == "infeasible"
    assert solution.conflicts == [
        {
            "code": "room_type_short",
            "params": {
                "room_type": "Labs",
                "room_type_id": 5,
                "lessons": 7,
                "rooms": 2,
                "periods": 2,
                "available": 4,
                "days": [TUE],
            },
        }
    ]
    assert explain.describe(solution.conflicts[0]) == (
        "Labs: 7 lessons can only be taught on Tuesday (2 periods), with 2 rooms: 4 places."
    )


def test_it_says_when_only_the_double_periods_make_it_impossible():
    # One section, two days of three periods. Art is fixed to the middle period each day, so Maths' two
    # doubles have no two periods in a row; as four singles they would fit.
    classes = [
        klass(1, 1, 1, 0, 2, label="7A Maths"),
        klass(2, 1, 2, 2, pins=((MON, P2, False), (TUE, P2, False)), label="7A Art"),
    ]
    school = problem(classes, days=(MON, TUE), periods=(P1, P2, P3))

    solution = solve(school, time_limit=LIMIT)

    assert solution.outcome == "infeasible"
    assert [c["code"] for c in solution.conflicts] == ["double_impossible"]
    assert solution.conflicts[0]["params"]["class"] == "7A Maths"
    assert explain.describe(solution.conflicts[0]) == (
        "7A Maths: its double periods cannot be placed as two periods in a row on one day."
    )
    # The same school with the doubles as singles is fine.
    singles = problem(
        [klass(1, 1, 1, 4, label="7A Maths"), classes[1]], days=(MON, TUE), periods=(P1, P2, P3)
    )
    assert solve(singles, time_limit=LIMIT).outcome == "complete"


def test_it_names_the_daily_maximum_that_makes_the_week_too_short():
    classes = [klass(1, 1, 1, 6, label="7A Maths"), klass(2, 2, 1, 5, label="7B Maths")]
    school = problem(classes, max_per_day={1: 2}, teachers={1: "Mr Li"})

    solution = solve(school, time_limit=LIMIT)

    assert solution.outcome == "infeasible"
    assert solution.conflicts == [
        {
            "code": "teacher_day_limit",
            "params": {"teacher": "Mr Li", "teacher_id": 1, "lessons": 11, "max": 2, "available": 10},
        }
    ]
    assert "at most 2 a day" in explain.describe(solution.conflicts[0])


def _shared_classes_school():
    # Each teacher alone has room (8 of their own lessons, 10 at most 2 a day), but Music goes to one or
    # the other: 21 lessons for the 20 they can teach together, whoever takes it.
    classes = [
        klass(1, 1, 1, 8, label="7A Maths"),
        klass(2, 2, 2, 8, label="7B Maths"),
        klass(3, 3, None, 5, candidates=(1, 2), label="7C Music"),
    ]
    return problem(classes, max_per_day={1: 2, 2: 2}, teachers={1: "Mr Li", 2: "Ms Ode"})


def test_it_names_teachers_who_share_classes_and_cannot_teach_them_all_together():
    solution = solve(_shared_classes_school(), time_limit=LIMIT)

    assert solution.outcome == "infeasible"
    assert solution.conflicts == [
        {
            "code": "teachers_overloaded",
            "params": {
                "teachers": ["Mr Li", "Ms Ode"],
                "teacher_ids": [1, 2],
                "lessons": 21,
                "available": 20,
            },
        }
    ]
    assert explain.describe(solution.conflicts[0]) == (
        "Mr Li, Ms Ode share classes that need 21 lessons, but together they can teach only 20 periods a "
        "week (their free periods, within their daily maximums), however the classes are shared out."
    )


def test_a_partial_timetable_leaves_out_the_fewest_lessons_of_teachers_who_share_classes_saying_why():
    school = _shared_classes_school()
    solution = solve(school, time_limit=LIMIT, partial=True)

    assert solution.outcome == "partial"
    # One teacher takes all of Music: 13 lessons for the 10 they can teach, 3 left out (no fewer can be).
    assert len(solution.unplaced) == 3
    assert len({u.teacher_id for u in solution.unplaced}) == 1
    assert {u.reason["code"] for u in solution.unplaced} == {"teachers_overloaded"}
    assert {c["code"] for c in check(school, solution.placements)} == {"lesson_count"}


def test_it_lists_the_requirements_that_clash_when_no_count_shows_why():
    # A class fixed to a period its teacher is away: the pin and the unavailability clash; no count is over.
    classes = [
        klass(1, 1, 1, 1, pins=((MON, P1, False),), label="7A Maths"),
        klass(2, 2, 2, 3, label="7B Art"),
    ]
    school = problem(classes, teacher_unavailable={1: {(MON, P1)}}, teachers={1: "Mr Li"})

    solution = solve(school, time_limit=LIMIT)

    assert solution.outcome == "infeasible"
    assert len(solution.conflicts) == 1
    conflict = solution.conflicts[0]
    assert conflict["code"] == "requirements_clash"
    kinds = sorted(item["kind"] for item in conflict["params"]["items"])
    assert kinds == ["pin", "unavailable"]
    words = explain.describe(conflict)
    assert "7A Maths is fixed to Monday, Period 1" in words
    assert "Mr Li is unavailable for 1 period" in words
    assert "7B Art" not in words


def test_it_refuses_two_classes_fixed_to_one_slot_by_the_same_teacher():
    classes = [
        klass(1, 1, 1, 2, pins=((WED, P3, False),), label="7A Maths"),
        klass(2, 2, 1, 2, pins=((WED, P3, False),), label="7B Maths"),
    ]
    solution = solve(problem(classes), time_limit=LIMIT)

    assert solution.outcome == "infeasible"
    assert solution.conflicts[0]["code"] == "pin_clash"
    assert explain.describe(solution.conflicts[0]) == (
        "7A Maths, 7B Maths are all fixed to Wednesday, Period 3 and cannot be taught together."
    )


def test_it_keeps_pins_where_they_are():
    classes = [
        klass(1, 1, 1, 2, 1, pins=((THU, P2, True), (MON, P4, False)), label="7A Maths"),
        klass(2, 1, 2, 3, label="7A English"),
    ]
    school = problem(classes)

    solution = solve(school, time_limit=LIMIT)

    assert solution.outcome == "complete"
    assert check(school, solution.placements) == []
    mine = {(p.weekday, p.period_id, p.length) for p in solution.placements if p.requirement_id == 1}
    assert {(THU, P2, 2), (MON, P4, 1)} <= mine


def test_it_keeps_locked_lessons_and_returns_them_with_the_rest():
    classes = [
        klass(1, 1, 1, 3, rooms=(11, 12), label="7A Maths"),
        klass(2, 2, 1, 3, rooms=(11, 12), label="7B Maths"),
    ]
    locked = [
        Placement(requirement_id=1, weekday=FRI, period_id=P4, length=1, room_id=12, teacher_id=1),
        Placement(requirement_id=2, weekday=FRI, period_id=P3, length=1, room_id=11, teacher_id=1),
    ]
    school = problem(classes, locked=locked)

    solution = solve(school, time_limit=LIMIT)

    assert solution.outcome == "complete"
    assert check(school, solution.placements) == []
    assert locked[0] in solution.placements
    assert locked[1] in solution.placements
    assert len(solution.placements) == 6


def test_it_says_a_locked_lesson_clashes_with_a_pin():
    classes = [
        klass(1, 1, 1, 2, pins=((TUE, P1, False),), label="7A Maths"),
        klass(2, 2, 1, 2, label="7B Maths"),
    ]
    locked = [Placement(requirement_id=2, weekday=TUE, period_id=P1, length=1, room_id=None, teacher_id=1)]

    solution = solve(problem(classes, locked=locked), time_limit=LIMIT)

    assert solution.outcome == "infeasible"
    assert solution.conflicts[0]["code"] == "pin_clash"
    assert solution.conflicts[0]["params"]["classes"] == ["7A Maths", "7B Maths"]


def test_it_places_joint_classes_together_with_a_teacher_in_both():
    # 7A and 7B have PE together (one teacher, the sports hall); 7A is split into two language groups taught
    # at the same time by two teachers.
    classes = [
        klass(1, 1, 1, 2, 1, rooms=(40,), joint=1, label="7A PE"),
        klass(2, 2, 1, 2, 1, rooms=(40,), joint=1, label="7B PE"),
        klass(3, 1, 2, 3, rooms=(11,), joint=2, label="7A Spanish"),
        klass(4, 1, 3, 3, rooms=(12,), joint=2, label="7A French"),
        klass(5, 2, 2, 4, rooms=(13,), label="7B Spanish"),
        klass(6, 1, 4, 5, rooms=(11,), label="7A Maths"),
    ]
    school = problem(classes)

    solution = solve(school, time_limit=LIMIT)

    assert solution.outcome == "complete"
    assert check(school, solution.placements) == []

    def slots(rid):
        mine = [p for p in solution.placements if p.requirement_id == rid]
        return Counter((p.weekday, p.period_id, p.length) for p in mine)

    assert slots(1) == slots(2)
    assert slots(3) == slots(4)
    assert sum(slots(1).values()) == 3


def test_it_refuses_joint_classes_of_different_lengths():
    classes = [klass(1, 1, 1, 3, joint=1, label="7A PE"), klass(2, 2, 1, 2, joint=1, label="7B PE")]

    solution = solve(problem(classes), time_limit=LIMIT)

    assert solution.outcome == "infeasible"
    assert solution.conflicts == [
        {"code": "joint_mismatch", "params": {"classes": ["7A PE", "7B PE"], "class_ids": [1, 2]}}
    ]


def test_it_chooses_one_candidate_teacher_for_all_of_a_classes_lessons():
    # Teacher 2 is away all week but Monday; teacher 3 is free: the class goes to teacher 3.
    away = every_slot((MON, TUE, WED, THU, FRI), (P1, P2, P3, P4)) - {(MON, p) for p in (P1, P2, P3, P4)}
    classes = [klass(1, 1, None, 5, candidates=(2, 3), label="7A Music"), klass(2, 2, 3, 4, label="7B Music")]
    school = problem(classes, teacher_unavailable={2: away})

    solution = solve(school, time_limit=LIMIT)

    assert solution.outcome == "complete"
    assert check(school, solution.placements) == []
    assert {p.teacher_id for p in solution.placements if p.requirement_id == 1} == {3}


def test_it_gives_the_best_partial_timetable_and_says_why_lessons_are_left_out():
    # One lab, six periods a week; eight lab lessons. Everything else fits.
    classes = [
        klass(1, 1, 1, 3, rooms=(21,), room_type=5, label="7A Science"),
        klass(2, 2, 2, 3, rooms=(21,), room_type=5, label="7B Science"),
        klass(4, 3, 4, 2, rooms=(21,), room_type=5, label="7C Science"),
        klass(3, 1, 3, 2, rooms=(11,), label="7A English"),
    ]
    school = problem(
        classes, days=(MON, TUE), periods=(P1, P2, P3), room_types={5: "Labs"}, rooms={21: "Lab 1"}
    )

    assert solve(school, time_limit=LIMIT).outcome == "infeasible"
    solution = solve(school, time_limit=LIMIT, partial=True)

    assert solution.outcome == "partial"
    assert len(solution.unplaced) == 2
    assert by_class(solution)[3] == 2
    assert by_class(solution)[1] + by_class(solution)[2] + by_class(solution)[4] == 6
    assert [c["code"] for c in check(school, solution.placements)] == ["lesson_count"] * len(
        {u.requirement_id for u in solution.unplaced}
    )
    reason = solution.unplaced[0].reason
    assert reason["code"] == "room_type_short"
    assert explain.describe(reason) == "Labs: 8 lessons a week, 1 room: 6 places a week."


def test_it_leaves_out_a_class_with_no_room_big_enough():
    classes = [
        klass(1, 1, 1, 2, room_missing=True, room_type=5, label="7A Science"),
        klass(2, 1, 2, 2, label="7A Art"),
    ]
    school = problem(classes)

    assert solve(school, time_limit=LIMIT).conflicts == [
        {"code": "no_room", "params": {"class": "7A Science", "class_id": 1}}
    ]
    partial = solve(school, time_limit=LIMIT, partial=True)
    assert partial.outcome == "partial"
    assert [(u.requirement_id, u.reason["code"]) for u in partial.unplaced] == [
        (1, "no_room"),
        (1, "no_room"),
    ]
    assert by_class(partial)[2] == 2


def test_it_prefers_the_soft_wishes():
    # Heavy subject early, spread over the week, the teacher's free Friday, no gaps: all can be met.
    classes = [klass(1, 1, 1, 4, early=True, label="7A Maths"), klass(2, 1, 2, 4, label="7A English")]
    school = problem(classes, free_day={1: FRI})

    solution = solve(school, time_limit=LIMIT)

    assert solution.outcome == "complete"
    assert solution.score == 0
    assert solution.broken == []
    maths = [p for p in solution.placements if p.requirement_id == 1]
    assert all(p.period_id in (P1, P2) for p in maths)
    assert len({p.weekday for p in maths}) == 4
    assert FRI not in {p.weekday for p in maths}


def test_it_reports_the_wishes_it_had_to_break():
    # Five lessons in two days: a class twice a day at least, and a gap the teacher cannot avoid.
    classes = [
        klass(1, 1, 1, 3, label="7A Maths"),
        klass(2, 1, 2, 1, pins=((MON, P2, False),), label="7A Art"),
    ]
    school = problem(classes, days=(MON, TUE), periods=(P1, P2, P3))

    solution = solve(school, time_limit=LIMIT)

    assert solution.outcome == "complete"
    wishes = {b["wish"] for b in solution.broken}
    assert "spread" in wishes
    assert solution.score == sum(b["weight"] for b in solution.broken) > 0
    spread = next(b for b in solution.broken if b["wish"] == "spread")
    assert explain.describe_wish(spread).startswith("7A Maths has 2 lessons on ")


def test_its_assumptions_find_the_same_teacher_as_the_counts():
    # The counts answer first when they can; the assumptions (what explains the clashes no count shows)
    # reach the same requirements, minimised: the teacher's unavailability and her classes.
    classes = [
        klass(1, 1, 1, 8, label="7A Maths"),
        klass(2, 2, 1, 5, 1, label="7B Maths"),
        klass(3, 1, 2, 6, label="7A English"),
    ]
    away = {(FRI, p) for p in (P1, P2, P3, P4)} | {(THU, P1), (THU, P2)}
    school = problem(classes, teacher_unavailable={1: away}, teachers={1: "Ms Ortiz"})

    conflicts = explain_infeasible(Plan(school), deadline=time.monotonic() + LIMIT)

    assert conflicts == [
        {
            "code": "teacher_overloaded",
            "params": {"teacher": "Ms Ortiz", "teacher_id": 1, "lessons": 15, "available": 14},
        }
    ]


def test_it_falls_back_to_a_room_per_lesson_when_rooms_cannot_be_given_after(monkeypatch):
    # Rooms are capacities in the model and given day by day afterwards; should a day ever fail, the room
    # set that ran short becomes a capacity of its own, then every lesson gets its room in the model.
    from modules.timetable import solver as solver_module

    days_given = []

    def refuse(plan, day_starts, locked_room):
        days_given.append(len(day_starts))
        return None

    monkeypatch.setattr(solver_module, "_rooms_for_day", refuse)
    classes = [
        klass(1, 1, 1, 2, 1, rooms=(21, 22), label="7A Science"),
        klass(2, 2, 2, 2, 1, rooms=(21, 22, 23), label="7B Science"),
        klass(3, 3, 3, 3, rooms=(22, 23), label="7C Art"),
        klass(4, 1, 4, 3, rooms=(11,), label="7A English"),
    ]
    school = problem(classes, days=(MON, TUE, WED), periods=(P1, P2, P3), room_unavailable={22: {(MON, P1)}})

    solution = solve(school, time_limit=LIMIT)

    assert days_given
    assert solution.outcome == "complete"
    assert check(school, solution.placements) == []
    assert solution.stats["variables"] > 0


def test_it_says_when_no_timetable_was_found_within_the_time_limit():
    # Sixty sections of seven classes in a 35-period week cannot be searched in a twentieth of a second.
    classes = [
        klass(7 * s + n + 1, s, 100 + (7 * s + n) % 90, 4, rooms=(s,), label=f"S{s} C{n}")
        for s in range(60)
        for n in range(7)
    ]
    school = problem(classes, periods=(P1, P2, P3, P4, 105, 106, 107))

    solution = solve(school, time_limit=0.05)

    assert solution.outcome == "timed_out"
    assert solution.placements == []
    assert solution.conflicts == []
    assert solution.stats["status"] == "UNKNOWN"


def test_its_partial_timetable_leaves_out_only_the_doubles_that_cannot_be_placed():
    classes = [
        klass(1, 1, 1, 0, 2, label="7A Maths"),
        klass(2, 1, 2, 2, pins=((MON, P2, False), (TUE, P2, False)), label="7A Art"),
        klass(3, 2, 3, 3, label="7B Maths"),
    ]
    school = problem(classes, days=(MON, TUE), periods=(P1, P2, P3))

    solution = solve(school, time_limit=LIMIT, partial=True)

    assert solution.outcome == "partial"
    assert [(u.requirement_id, u.length, u.reason["code"]) for u in solution.unplaced] == [
        (1, 2, "double_impossible"),
        (1, 2, "double_impossible"),
    ]
    assert by_class(solution) == {2: 2, 3: 3}
    assert {c["code"] for c in check(school, solution.placements)} == {"lesson_count"}
