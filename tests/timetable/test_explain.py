"""Conflicts and broken wishes in plain words, in the reader's language at the time they are read."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from modules.timetable import explain

CONFLICTS = [
    (
        {"code": "teacher_overloaded", "params": {"teacher": "Ms Ortiz", "lessons": 32, "available": 30}},
        "Ms Ortiz has 32 lessons but is available for 30 periods.",
    ),
    (
        {
            "code": "room_type_short",
            "params": {
                "room_type": "Labs",
                "lessons": 14,
                "rooms": 2,
                "periods": 3,
                "available": 6,
                "days": [1],
            },
        },
        "Labs: 14 lessons can only be taught on Tuesday (3 periods), with 2 rooms: 6 places.",
    ),
    (
        {
            "code": "room_type_short",
            "params": {"room_type": "Gym", "lessons": 41, "rooms": 1, "available": 35},
        },
        "Gym: 41 lessons a week, 1 room: 35 places a week.",
    ),
    (
        {"code": "section_overloaded", "params": {"section": "7A", "lessons": 36, "available": 35}},
        "7A has 36 lessons but the week has 35 periods.",
    ),
    (
        {
            "code": "teacher_day_limit",
            "params": {"teacher": "Mr Li", "lessons": 26, "max": 5, "available": 25},
        },
        "Mr Li has 26 lessons but, at most 5 a day, can teach only 25 periods a week.",
    ),
    (
        {"code": "no_room", "params": {"class": "7A Science"}},
        "7A Science: no room of the kind it needs is big enough for the class.",
    ),
    (
        {"code": "joint_mismatch", "params": {"classes": ["7A PE", "7B PE"]}},
        "Joint classes 7A PE, 7B PE must have the same periods a week and double periods.",
    ),
    (
        {
            "code": "requirements_clash",
            "params": {
                "items": [
                    {"kind": "lessons", "class": "7A Maths", "lessons": 1},
                    {"kind": "doubles", "class": "7A Maths", "doubles": 2},
                    {"kind": "unavailable", "teacher": "Mr Li", "periods": 3},
                    {"kind": "room_unavailable", "room": "Lab 1", "periods": 1},
                    {"kind": "day_limit", "teacher": "Mr Li", "max": 4},
                    {"kind": "pin", "class": "7A Maths", "day": 0, "period": "P1"},
                    {"kind": "locked", "class": "7B Art", "day": 4, "period": "P6"},
                ]
            },
        },
        "These cannot all hold together: 7A Maths: 1 lesson a week; 7A Maths: 2 double periods; "
        "Mr Li is unavailable for 3 periods; Lab 1 is unavailable for 1 period; "
        "Mr Li teaches at most 4 periods a day; 7A Maths is fixed to Monday, P1; "
        "7B Art is locked on Friday, P6.",
    ),
    (
        {"code": "no_slot", "params": {"class": "7A Maths"}},
        "7A Maths: no period is left where the class, its teacher and a room are all free.",
    ),
    (
        {"code": "unavailable", "params": {"teacher": "Mr Li", "periods": 2}},
        "Mr Li is unavailable for 2 periods.",
    ),
    (
        {
            "code": "lesson_count",
            "params": {"class": "7A Maths", "singles": 2, "doubles": 1, "want_singles": 3, "want_doubles": 1},
        },
        "7A Maths has 3 lessons (1 double) instead of 4 lessons (1 double).",
    ),
]

WISHES = [
    (
        {"wish": "gaps", "params": {"teacher": "Mr Li", "day": 2, "gaps": 1}, "weight": 3},
        "Mr Li has 1 free period between lessons on Wednesday.",
    ),
    (
        {"wish": "spread", "params": {"class": "7A Maths", "day": 0, "lessons": 2}, "weight": 5},
        "7A Maths has 2 lessons on Monday.",
    ),
    (
        {"wish": "early", "params": {"class": "7A Maths", "day": 3, "period": "P6"}, "weight": 2},
        "7A Maths is taught late in the day on Thursday (P6).",
    ),
    (
        {"wish": "free_day", "params": {"teacher": "Mr Li", "day": 4}, "weight": 4},
        "Mr Li teaches on Friday, their preferred free day.",
    ),
]


@pytest.mark.parametrize(("conflict", "words"), CONFLICTS)
def test_it_puts_each_conflict_into_words(conflict, words):
    assert explain.describe(conflict) == words


@pytest.mark.parametrize(("broken", "words"), WISHES)
def test_it_puts_each_broken_wish_into_words(broken, words):
    assert explain.describe_wish(broken) == words


def test_it_has_words_for_every_code_it_lists():
    codes = set(re.findall(r"`([a-z_]+)`", explain.__doc__ or "")) - {"params", "code", "kind"}
    for code in codes:
        assert (
            explain.describe({"code": code, "params": {"class": "7A", "classes": ["7A"], "day": 0}}) != code
        )


def test_it_speaks_the_readers_language():
    conflict = {
        "code": "pin_clash",
        "params": {"classes": ["7A Maths", "7B Maths"], "day": 0, "period": "P1"},
    }
    with translation.override("es"):
        assert "Lunes" in explain.describe(conflict)
    with translation.override("en"):
        assert "Monday" in explain.describe(conflict)
