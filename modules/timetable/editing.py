"""Editing a timetable by hand: move a lesson (only to a slot where it clashes with nothing), lock and
unlock lessons, copy a timetable into a new draft, delete a draft.

The same clash checks hold for drafts and the published timetable. Every change bumps `Timetable.version`;
a form drawn from an older version is refused (`StaleTimetable`), so two people editing at once never move
lessons on a picture of the timetable that is no longer true.

A lesson of a published timetable is the lesson in effect on every day of that timetable, those whose
registers were taken included: moving one whose lesson registers were taken at its current time asks first
(`RegistersTaken`, with how many and the last date) and keeps them. Registers are counted by
`registers_taken`, which publishing counts with too.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from modules.academics.models import CourseOffering, Period, Room, Weekday
from modules.core.audit import audit_log
from modules.timetable.models import Lesson, Timetable, TimetableStatus
from modules.timetable.problem import problem_build


class StaleTimetable(Exception):
    """The timetable changed since the page was drawn (its version moved on)."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Someone changed this timetable since you opened the page (a lesson moved or was locked, or "
                "it was generated again). Here it is as it is now: look again, then make your change."
            )
        )


class EditRefused(Exception):
    """A change the timetable's rules do not allow; the message says why (it names the clash)."""


# attendance's RegisterMode.LESSON and the states of a register someone started or submitted.
LESSON_REGISTER = "lesson"
TAKEN_STATES = ("in_progress", "submitted")


def registers_taken(
    *, offerings: QuerySet[CourseOffering], start: datetime.date, end: datetime.date
) -> list[tuple[int, datetime.date, int]]:
    """(class, date, period) of every lesson register of `offerings` started or submitted from `start` to
    `end`. Attendance sits above this module, so they are read through the class's registers (the reverse
    relation `CourseOffering.registers`), not by importing attendance. One query."""
    return list(
        offerings.filter(
            registers__kind=LESSON_REGISTER,
            registers__state__in=TAKEN_STATES,
            registers__date__gte=start,
            registers__date__lte=end,
        ).values_list("pk", "registers__date", "registers__period_id")
    )


def lesson_registers_taken(lesson: Lesson, timetable: Timetable) -> list[datetime.date]:
    """The dates, in order, of the registers taken for `lesson` at its current time (its class, its weekday,
    its first period: a double's register is at its first period) while `timetable`, published, is in
    effect. None for a draft or an unplaced lesson."""
    if timetable.status != TimetableStatus.PUBLISHED or lesson.weekday is None:
        return []
    year = timetable.year
    taken = registers_taken(
        offerings=CourseOffering.objects.filter(pk=lesson.offering_id),
        start=timetable.effective_from or year.start_date,
        end=timetable.effective_until or year.end_date,
    )
    return sorted(
        day
        for _offering, day, period_id in taken
        if period_id == lesson.period_id and day.weekday() == lesson.weekday
    )


class RegistersTaken(Exception):
    """The lesson's registers were taken at its current time: moving it asks first (they are kept). `token`
    is what the confirming form sends back; a register taken since the question changes it (asked again)."""

    def __init__(self, days: list[datetime.date]):
        self.count = len(days)
        self.last = days[-1]
        self.token = f"{self.count}:{self.last.isoformat()}"
        words = {"count": self.count, "day": date_format(self.last, "DATE_FORMAT")}
        super().__init__(
            ngettext(
                "%(count)s register was taken for this lesson at its current time, on %(day)s. It is kept: "
                "moving it changes the timetable from today on.",
                "%(count)s registers were taken for this lesson at its current time, the last on %(day)s. "
                "They are kept: moving it changes the timetable from today on.",
                self.count,
            )
            % words
        )


@dataclass(frozen=True)
class Slot:
    weekday: int
    period: Period
    room: Room | None

    @property
    def weekday_name(self) -> str:
        return str(Weekday(self.weekday).label)

    @property
    def value(self) -> str:
        return f"{self.weekday}:{self.period.pk}:{self.room.pk if self.room else ''}"


def _check_version(timetable: Timetable, version: int) -> Timetable:
    current = Timetable.objects.select_for_update().select_related("year").get(pk=timetable.pk)
    if current.version != version:
        raise StaleTimetable
    if current.status == TimetableStatus.GENERATING:
        raise EditRefused(_("The timetable is being generated; wait until it is finished."))
    return current


def _bump(timetable: Timetable) -> None:
    Timetable.objects.filter(pk=timetable.pk).update(version=F("version") + 1)
    timetable.refresh_from_db(fields=["version"])


class Board:
    """Who is where in one timetable, with the rules a lesson's new slot must keep: no teacher, section
    or room in two places (classes of one joint lesson excepted), teachers' and rooms' unavailable periods,
    teachers' most periods a day, a double in two adjacent teaching periods of a day, an allowed room."""

    def __init__(self, timetable: Timetable):
        self.timetable = timetable
        self.problem = problem_build(year=timetable.year)
        self.periods = {p.pk: p for p in Period.objects.filter(pk__in=self.problem.periods)}
        self.order = {pk: index for index, pk in enumerate(self.problem.periods)}
        self.rooms = {room.pk: room for room in Room.objects.all()}
        self.classes = {c.offering_id: c for c in self.problem.classes}
        self.lessons = list(
            timetable.lessons.select_related(
                "offering__subject", "offering__section", "teacher", "room", "period"
            )
        )
        self.busy: dict[tuple, list[Lesson]] = defaultdict(list)
        self.day_load: dict[tuple[int, int], int] = defaultdict(int)  # (teacher, weekday) → periods
        for lesson in self.lessons:
            if lesson.weekday is None or lesson.period_id not in self.order:
                continue
            for pk in self.teachers(lesson):
                self.day_load[(pk, lesson.weekday)] += lesson.length
            for index in self._indexes(lesson.period_id, lesson.length):
                for key in self._keys(lesson, lesson.weekday, index, lesson.room_id):
                    self.busy[key].append(lesson)

    def _indexes(self, period_id: int, length: int) -> list[int]:
        start = self.order[period_id]
        return [start + step for step in range(length) if start + step < len(self.problem.periods)]

    def teachers(self, lesson: Lesson) -> list[int]:
        req = self.classes.get(lesson.offering_id)
        co = (
            list(req.teachers[1:])
            if req and lesson.offering.teacher_id
            else list(req.teachers if req else [])
        )
        ids = [lesson.teacher_id] if lesson.teacher_id else []
        return ids + [pk for pk in co if pk not in ids]

    def _keys(self, lesson: Lesson, weekday: int, index: int, room_id: int | None) -> list[tuple]:
        keys = [("section", lesson.offering.section_id, weekday, index)]
        keys += [("teacher", pk, weekday, index) for pk in self.teachers(lesson)]
        if room_id:
            keys.append(("room", room_id, weekday, index))
        return keys

    def _joint(self, one: Lesson, other: Lesson) -> bool:
        a, b = self.classes.get(one.offering_id), self.classes.get(other.offering_id)
        return bool(a and b and a.joint_id and a.joint_id == b.joint_id)

    def allowed_rooms(self, lesson: Lesson) -> list[int | None]:
        req = self.classes.get(lesson.offering_id)
        if req and req.rooms:
            return list(req.rooms)
        if req is None and lesson.room_id:  # a lesson with no requirement (typed in by hand): any room
            return [lesson.room_id, *[pk for pk in self.rooms if pk != lesson.room_id]]
        return [lesson.room_id] if lesson.room_id else [None]

    def _slot_name(self, weekday: int, index: int) -> str:
        period = self.periods[self.problem.periods[index]]
        return _("%(day)s %(period)s") % {"day": Weekday(weekday).label, "period": period.name}

    def clashes(self, lesson: Lesson, weekday: int, period_id: int, room_id: int | None) -> list[str]:
        """Why `lesson` cannot be at (weekday, period, room), in words naming what it clashes with."""
        if weekday not in self.problem.weekdays or period_id not in self.order:
            return [_("That is not a teaching period of the school week.")]
        start = self.order[period_id]
        if start + lesson.length > len(self.problem.periods):
            return [
                _("A double lesson needs the next period too, and %(period)s is the last of the day.")
                % {"period": self.periods[period_id].name}
            ]
        reasons: list[str] = []
        teachers = self.teachers(lesson)
        names = self.problem.names.get("teacher", {})
        for index in range(start, start + lesson.length):
            slot = (weekday, self.problem.periods[index])
            where = self._slot_name(weekday, index)
            for key in self._keys(lesson, weekday, index, room_id):
                for other in self.busy.get(key, []):
                    if other.pk == lesson.pk or self._joint(lesson, other):
                        continue
                    reasons.append(self._clash_text(key[0], key[1], other, where))
            for pk in teachers:
                if slot in self.problem.teacher_unavailable.get(pk, set()):
                    reasons.append(
                        _("%(teacher)s is not available on %(slot)s.")
                        % {"teacher": names.get(pk, ""), "slot": where}
                    )
            if room_id and slot in self.problem.room_unavailable.get(room_id, set()):
                reasons.append(
                    _("%(room)s is not available on %(slot)s.")
                    % {"room": self.rooms[room_id].name, "slot": where}
                )
        for pk in teachers:
            limit = self.problem.teacher_max_per_day.get(pk)
            if not limit:
                continue
            taught = self.day_load[(pk, weekday)]
            if lesson.weekday == weekday and lesson.period_id in self.order:
                taught -= lesson.length
            if taught + lesson.length > limit:
                reasons.append(
                    _("%(teacher)s would teach more than %(limit)s periods on %(day)s.")
                    % {"teacher": names.get(pk, ""), "limit": limit, "day": Weekday(weekday).label}
                )
        if room_id not in self.allowed_rooms(lesson):
            room = self.rooms.get(room_id) if room_id else None
            reasons.append(
                _("%(room)s is not a room this class may use.")
                % {"room": room.name if room else _("No room")}
            )
        return list(dict.fromkeys(reasons))

    def _clash_text(self, kind: str, pk: int, other: Lesson, where: str) -> str:
        what = f"{other.offering.section.name} {other.offering.subject.name}"
        if kind == "section":
            return _("%(section)s already has %(class)s on %(slot)s.") % {
                "section": other.offering.section.name,
                "class": other.offering.subject.name,
                "slot": where,
            }
        if kind == "teacher":
            return _("%(teacher)s already teaches %(class)s on %(slot)s.") % {
                "teacher": self.problem.names.get("teacher", {}).get(pk, ""),
                "class": what,
                "slot": where,
            }
        return _("%(room)s is taken by %(class)s on %(slot)s.") % {
            "room": self.rooms[pk].name,
            "class": what,
            "slot": where,
        }

    def room_for(self, lesson: Lesson, weekday: int, period_id: int) -> int | None:
        """The room the lesson would take at that slot: its own when allowed and free, else the first
        allowed room free then (None when it needs none or none is free)."""
        rooms = self.allowed_rooms(lesson)
        if lesson.room_id in rooms:
            rooms = [lesson.room_id, *[pk for pk in rooms if pk != lesson.room_id]]
        for room_id in rooms:
            if not self.clashes(lesson, weekday, period_id, room_id):
                return room_id
        return rooms[0] if rooms else None

    def valid_slots(self, lesson: Lesson) -> list[Slot]:
        """Every slot the lesson may move to (its own excepted), with the room it would take."""
        slots = []
        for weekday in self.problem.weekdays:
            for period_id in self.problem.periods:
                if weekday == lesson.weekday and period_id == lesson.period_id:
                    continue
                room_id = self.room_for(lesson, weekday, period_id)
                if self.clashes(lesson, weekday, period_id, room_id):
                    continue
                slots.append(
                    Slot(weekday, self.periods[period_id], self.rooms.get(room_id) if room_id else None)
                )
        return slots


def _where(lesson: Lesson) -> dict:
    return {"weekday": lesson.weekday, "period": lesson.period_id, "room": lesson.room_id}


@transaction.atomic
def lesson_move(
    *,
    lesson: Lesson,
    weekday: int,
    period: Period,
    room: Room | None = None,
    version: int,
    user,
    confirm: str = "",
) -> Lesson:
    """Move (or place) a lesson. Refused with StaleTimetable when the timetable changed since the form was
    drawn, and with EditRefused naming the clash when the slot breaks a rule. Without `room` the lesson
    keeps its room when it is free there, else takes an allowed room free then. A lesson of a published
    timetable whose registers were taken at its current time moves only when `confirm` is the token of the
    question (`RegistersTaken`) about those registers; they are kept either way."""
    timetable = _check_version(lesson.timetable, version)
    lesson = Lesson.objects.select_related("offering").get(pk=lesson.pk)
    if lesson.locked:
        raise EditRefused(_("The lesson is locked: unlock it first to move it."))
    board = Board(timetable)
    room_id = room.pk if room is not None else board.room_for(lesson, weekday, period.pk)
    reasons = board.clashes(lesson, weekday, period.pk, room_id)
    if reasons:
        raise EditRefused(" ".join(reasons))
    kept: list[datetime.date] = []
    if (weekday, period.pk) != (lesson.weekday, lesson.period_id):
        kept = lesson_registers_taken(lesson, timetable)
        if kept and confirm != RegistersTaken(kept).token:
            raise RegistersTaken(kept)
    before = _where(lesson)
    Lesson.objects.filter(pk=lesson.pk).update(weekday=weekday, period=period, room_id=room_id, reason={})
    lesson.refresh_from_db()
    _bump(timetable)
    after = {**_where(lesson), **({"registers_kept": len(kept)} if kept else {})}
    audit_log(actor=user, action="timetable.lesson_move", obj=lesson, before=before, after=after)
    return lesson


@transaction.atomic
def lesson_lock(*, lesson: Lesson, locked: bool, version: int, user) -> Lesson:
    """Lock a placed lesson where it is (generating again keeps it), or unlock it."""
    timetable = _check_version(lesson.timetable, version)
    if locked and lesson.weekday is None:
        raise EditRefused(_("Place the lesson before locking it."))
    Lesson.objects.filter(pk=lesson.pk).update(locked=locked)
    lesson.locked = locked
    _bump(timetable)
    audit_log(
        actor=user,
        action="timetable.lesson_lock" if locked else "timetable.lesson_unlock",
        obj=lesson,
        after={"locked": locked},
    )
    return lesson


@transaction.atomic
def timetable_copy(*, source: Timetable, user, name: str) -> Timetable:
    """A new draft with the same lessons as `source` (the live timetable, usually), to edit and publish."""
    if source.status == TimetableStatus.GENERATING:
        raise EditRefused(_("The timetable is being generated; wait until it is finished."))
    draft = Timetable.objects.create(
        year=source.year,
        name=name,
        created_by=user,
        outcome=source.outcome,
        score=source.score,
        broken_wishes=source.broken_wishes,
        conflicts=source.conflicts,
    )
    Lesson.objects.bulk_create(
        Lesson(
            timetable=draft,
            offering_id=lesson.offering_id,
            teacher_id=lesson.teacher_id,
            weekday=lesson.weekday,
            period_id=lesson.period_id,
            length=lesson.length,
            room_id=lesson.room_id,
            locked=lesson.locked,
            reason=lesson.reason,
        )
        for lesson in source.lessons.all()
    )
    audit_log(actor=user, action="timetable.copy", obj=draft, after={"source": source.pk})
    return draft


@transaction.atomic
def timetable_delete(*, timetable: Timetable, version: int, user) -> None:
    """Delete a draft (a published timetable stays: it is what registers were taken against)."""
    current = _check_version(timetable, version)
    if current.status != TimetableStatus.DRAFT:
        raise EditRefused(_("Only a draft can be deleted."))
    audit_log(actor=user, action="timetable.delete", obj=current, before={"name": current.name})
    current.delete()
