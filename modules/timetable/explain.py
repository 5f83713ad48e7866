"""Conflicts and broken wishes put into plain words, in the reader's language, when they are shown.

A conflict is `{"code": ..., "params": {...}}` (stored in `Timetable.conflicts`, `Lesson.reason`, and
returned by checker.check and precheck.precheck); names in params are text, as they were when it was made,
weekdays are numbers (Monday 0) named here. The codes:

- `teacher_overloaded` {teacher, lessons, available}: more periods to teach than periods they are free.
- `teacher_day_limit` {teacher, lessons, max, available} (a timetable that breaks it: {teacher, day,
  lessons, max}): more periods than their daily maximum lets them teach.
- `teachers_overloaded` {teachers, teacher_ids, lessons, available}: teachers who share classes (a class may
  go to one or another of them) have more periods to teach together than they can teach together (their free
  periods, within their daily maximums), however the classes are shared out.
- `section_overloaded` {section, lessons, available}: more periods than the week has.
- `room_type_short` {room_type, lessons, rooms, available, periods, days}: more lessons needing a kind of
  room (or a set of rooms) than places in those rooms when the lessons can be taught.
- `no_room` {class}: no room of the kind asked for is big enough for the class (or no room at all).
- `double_impossible` {class, doubles}: its double periods cannot be placed as two periods in a row.
- `pin_clash` {classes, day, period}: lessons fixed by hand to the same slot clash.
- `joint_mismatch` {classes}: joint classes with different periods a week or double periods.
- `requirements_clash` {items}: requirements that cannot hold together, listed (each item a `kind` among
  lessons, doubles, unavailable, room_unavailable, day_limit, pin, locked).
- `no_slot` {class}: (partial timetables) no period left where class, teacher and a room are all free.
- `unexplained` {}: the solver could not say which requirements clash within the time.
- `unavailable` {teacher or room, class, day, period}: a lesson when its teacher or room is unavailable
  (precheck: {teacher or room, periods} ...).
- checker codes for a timetable breaking a rule: `teacher_clash`, `section_clash`, `room_clash`
  {teacher|section|room, day, period}; `lesson_count` {class, singles, doubles, want_singles,
  want_doubles}; `room_not_allowed` {class, room}; `pin_broken`, `locked_moved` {class, day, period};
  `joint_apart` {classes}; `teacher_not_candidate` {class}; `bad_slot` {class, day, period};
  `unknown_class` {class_id}.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from modules.academics.models import Weekday


def day_name(day) -> str:
    try:
        return str(Weekday(int(day)).label)
    except (TypeError, ValueError):
        return str(day)


def _list(names) -> str:
    return ", ".join(str(n) for n in names)


def _periods(count: int) -> str:
    return ngettext("%(count)s period", "%(count)s periods", count) % {"count": count}


def _lessons(count: int) -> str:
    return ngettext("%(count)s lesson", "%(count)s lessons", count) % {"count": count}


def _item(item: dict) -> str:
    kind = item.get("kind")
    if kind == "lessons":
        return _("%(class)s: %(lessons)s a week") % {
            "class": item.get("class", ""),
            "lessons": _lessons(int(item.get("lessons", 0))),
        }
    if kind == "doubles":
        return ngettext(
            "%(class)s: %(count)s double period",
            "%(class)s: %(count)s double periods",
            int(item.get("doubles", 0)),
        ) % {"class": item.get("class", ""), "count": item.get("doubles", 0)}
    if kind == "unavailable":
        return _("%(teacher)s is unavailable for %(periods)s") % {
            "teacher": item.get("teacher", ""),
            "periods": _periods(int(item.get("periods", 0))),
        }
    if kind == "room_unavailable":
        return _("%(room)s is unavailable for %(periods)s") % {
            "room": item.get("room", ""),
            "periods": _periods(int(item.get("periods", 0))),
        }
    if kind == "day_limit":
        return _("%(teacher)s teaches at most %(periods)s a day") % {
            "teacher": item.get("teacher", ""),
            "periods": _periods(int(item.get("max") or 0)),
        }
    if kind == "pin":
        return _("%(class)s is fixed to %(day)s, %(period)s") % {
            "class": item.get("class", ""),
            "day": day_name(item.get("day")),
            "period": item.get("period", ""),
        }
    if kind == "locked":
        return _("%(class)s is locked on %(day)s, %(period)s") % {
            "class": item.get("class", ""),
            "day": day_name(item.get("day")),
            "period": item.get("period", ""),
        }
    return str(kind)


def _when(p: dict) -> dict:
    return {"day": day_name(p.get("day")), "period": p.get("period", "")}


def _teacher_overloaded(p: dict) -> str:
    return _("%(teacher)s has %(lessons)s but is available for %(available)s.") % {
        "teacher": p.get("teacher", ""),
        "lessons": _lessons(int(p.get("lessons", 0))),
        "available": _periods(int(p.get("available", 0))),
    }


def _teacher_day_limit(p: dict) -> str:
    if "day" in p:  # a timetable that breaks it
        return _("%(teacher)s teaches %(lessons)s on %(day)s, more than their most of %(max)s a day.") % {
            "teacher": p.get("teacher", ""),
            "lessons": _periods(int(p.get("lessons", 0))),
            "day": day_name(p.get("day")),
            "max": p.get("max", ""),
        }
    return _(
        "%(teacher)s has %(lessons)s but, at most %(max)s a day, can teach only %(available)s a week."
    ) % {
        "teacher": p.get("teacher", ""),
        "lessons": _lessons(int(p.get("lessons", 0))),
        "max": p.get("max", ""),
        "available": _periods(int(p.get("available", 0))),
    }


def _teachers_overloaded(p: dict) -> str:
    return _(
        "%(teachers)s share classes that need %(lessons)s, but together they can teach only %(available)s a "
        "week (their free periods, within their daily maximums), however the classes are shared out."
    ) % {
        "teachers": _list(p.get("teachers", [])),
        "lessons": _lessons(int(p.get("lessons", 0))),
        "available": _periods(int(p.get("available", 0))),
    }


def _section_overloaded(p: dict) -> str:
    return _("%(section)s has %(lessons)s but the week has %(available)s.") % {
        "section": p.get("section", ""),
        "lessons": _lessons(int(p.get("lessons", 0))),
        "available": _periods(int(p.get("available", 0))),
    }


def _room_type_short(p: dict) -> str:
    words = {
        "room_type": p.get("room_type", ""),
        "lessons": _lessons(int(p.get("lessons", 0))),
        "rooms": ngettext("%(count)s room", "%(count)s rooms", int(p.get("rooms", 0)))
        % {"count": p.get("rooms", 0)},
        "available": p.get("available", 0),
    }
    days = p.get("days") or []
    if days:
        return _(
            "%(room_type)s: %(lessons)s can only be taught on %(days)s (%(periods)s), with %(rooms)s: "
            "%(available)s places."
        ) % {**words, "days": _list(day_name(d) for d in days), "periods": _periods(int(p.get("periods", 0)))}
    return _("%(room_type)s: %(lessons)s a week, %(rooms)s: %(available)s places a week.") % words


def _unavailable(p: dict) -> str:
    who = p.get("teacher") or p.get("room") or ""
    if "class" in p:
        return _("%(class)s on %(day)s, %(period)s: %(who)s is unavailable then.") % {
            "class": p.get("class", ""),
            "who": who,
            **_when(p),
        }
    return _("%(who)s is unavailable for %(periods)s.") % {
        "who": who,
        "periods": _periods(int(p.get("periods", 0))),
    }


def _lesson_count(p: dict) -> str:
    return _("%(class)s has %(has)s (%(doubles)s double) instead of %(want)s (%(want_doubles)s double).") % {
        "class": p.get("class", ""),
        "has": _lessons(int(p.get("singles", 0)) + int(p.get("doubles", 0))),
        "doubles": p.get("doubles", 0),
        "want": _lessons(int(p.get("want_singles", 0)) + int(p.get("want_doubles", 0))),
        "want_doubles": p.get("want_doubles", 0),
    }


def _requirements_clash(p: dict) -> str:
    return _("These cannot all hold together: %(items)s.") % {
        "items": "; ".join(_item(item) for item in p.get("items", []))
    }


def _of_class(template) -> Callable[[dict], str]:
    return lambda p: template() % {"class": p.get("class", ""), **_when(p)}


def _of_classes(template) -> Callable[[dict], str]:
    return lambda p: template() % {"classes": _list(p.get("classes", [])), **_when(p)}


def _of(kind: str, template) -> Callable[[dict], str]:
    return lambda p: template() % {kind: p.get(kind, ""), **_when(p)}


# Each code's words; the templates are called when read, so they are in the reader's language.
_DESCRIBE: dict[str, Callable[[dict], str]] = {
    "teacher_overloaded": _teacher_overloaded,
    "teacher_day_limit": _teacher_day_limit,
    "teachers_overloaded": _teachers_overloaded,
    "section_overloaded": _section_overloaded,
    "room_type_short": _room_type_short,
    "unavailable": _unavailable,
    "lesson_count": _lesson_count,
    "requirements_clash": _requirements_clash,
    "no_room": _of_class(lambda: _("%(class)s: no room of the kind it needs is big enough for the class.")),
    "double_impossible": _of_class(
        lambda: _("%(class)s: its double periods cannot be placed as two periods in a row on one day.")
    ),
    "no_slot": _of_class(
        lambda: _("%(class)s: no period is left where the class, its teacher and a room are all free.")
    ),
    "pin_broken": _of_class(lambda: _("%(class)s is fixed to %(day)s, %(period)s but is not there.")),
    "locked_moved": _of_class(lambda: _("%(class)s was locked on %(day)s, %(period)s but is not there.")),
    "teacher_not_candidate": _of_class(lambda: _("%(class)s is not taught by one of its teachers.")),
    "bad_slot": _of_class(lambda: _("%(class)s is placed outside the teaching week (%(day)s, %(period)s).")),
    "no_teaching_periods": lambda p: _(
        "The school week has no teaching periods: add periods to the bell schedule and choose teaching days."
    ),
    "no_teacher": lambda p: (
        _("%(class)s has no teacher and no qualified teachers to choose from.")
        % {"class": p.get("class", "")}
    ),
    "teacher_inactive": lambda p: (
        _("%(class)s names %(teacher)s, who has left the school.")
        % {"class": p.get("class", ""), "teacher": p.get("teacher", "")}
    ),
    "pin_clash": _of_classes(
        lambda: _("%(classes)s are all fixed to %(day)s, %(period)s and cannot be taught together.")
    ),
    "joint_mismatch": _of_classes(
        lambda: _("Joint classes %(classes)s must have the same periods a week and double periods.")
    ),
    "joint_apart": _of_classes(lambda: _("Joint classes %(classes)s are not taught at the same times.")),
    "teacher_clash": _of("teacher", lambda: _("%(teacher)s has two lessons on %(day)s, %(period)s.")),
    "section_clash": _of("section", lambda: _("%(section)s has two lessons on %(day)s, %(period)s.")),
    "room_clash": _of("room", lambda: _("%(room)s has two lessons on %(day)s, %(period)s.")),
    "room_not_allowed": lambda p: (
        _("%(class)s is in %(room)s, which is not a room it may use.")
        % {"class": p.get("class", ""), "room": p.get("room", "")}
    ),
    "unexplained": lambda p: _(
        "The requirements cannot all hold together, but the solver could not find which in the time."
    ),
    "unknown_class": lambda p: _("A lesson belongs to a class that has no requirement."),
}


def describe(conflict: dict) -> str:
    """One conflict in the reader's language."""
    code = conflict.get("code", "")
    words = _DESCRIBE.get(code)
    return words(dict(conflict.get("params") or {})) if words else str(code)


def describe_wish(broken: dict) -> str:
    """One broken soft wish in the reader's language."""
    wish = broken.get("wish", "")
    p = dict(broken.get("params") or {})
    day = day_name(p.get("day"))
    if wish == "gaps":
        return ngettext(
            "%(teacher)s has %(count)s free period between lessons on %(day)s.",
            "%(teacher)s has %(count)s free periods between lessons on %(day)s.",
            int(p.get("gaps", 0)),
        ) % {"teacher": p.get("teacher", ""), "count": p.get("gaps", 0), "day": day}
    if wish == "spread":
        return _("%(class)s has %(lessons)s on %(day)s.") % {
            "class": p.get("class", ""),
            "lessons": _lessons(int(p.get("lessons", 0))),
            "day": day,
        }
    if wish == "early":
        return _("%(class)s is taught late in the day on %(day)s (%(period)s).") % {
            "class": p.get("class", ""),
            "day": day,
            "period": p.get("period", ""),
        }
    if wish == "free_day":
        return _("%(teacher)s teaches on %(day)s, their preferred free day.") % {
            "teacher": p.get("teacher", ""),
            "day": day,
        }
    return str(wish)
