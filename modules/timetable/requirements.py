"""What the office states before generating: each class's requirement, teachers' limits and unavailable
periods, rooms' kind, capacity and unavailable periods, kinds of room, joint lessons, fixed lessons (pins)
and the timetable settings of a year.

Every write here checks what it refers to (a teacher who left, a room or kind of room that is gone, a class
of another year) and refuses with `RequirementRefused` and a message the office can act on; nothing is half
written (each service is one transaction). Each writes its audit event next to the change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from modules.academics.models import AcademicYear, CourseOffering, Period, Room, RoomType, Section, Weekday
from modules.accounts.models import User
from modules.core.audit import audit_log
from modules.people.models import Staff
from modules.timetable.models import (
    JointLesson,
    Pin,
    Requirement,
    TeacherLimit,
    TimetableSettings,
    Unavailability,
)

Slot = tuple[int, int]  # (weekday, period id)


class RequirementRefused(Exception):
    """A change the office asked for that cannot be made; the message says why, for the person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ----------------------------------------------------------------------------------------------------
# The school week of a year


@dataclass(frozen=True)
class Week:
    """The teaching days and periods (in bell order) the solver fills for a year."""

    weekdays: tuple[int, ...]
    periods: tuple[Period, ...]

    @property
    def slots(self) -> int:
        return len(self.weekdays) * len(self.periods)

    def pairs(self) -> list[tuple[Period, Period]]:
        """Adjacent teaching periods: a double lesson takes one such pair on one day."""
        return list(zip(self.periods, self.periods[1:], strict=False))


def settings_for(year: AcademicYear) -> TimetableSettings:
    """The year's settings, unsaved defaults when the office has not set any."""
    found = TimetableSettings.objects.filter(year=year).first()
    return found if found is not None else TimetableSettings(year=year)


def week_for(year: AcademicYear, settings: TimetableSettings | None = None) -> Week:
    settings = settings if settings is not None else settings_for(year)
    periods = tuple(settings.periods.order_by("order")) if settings.pk else ()
    if not periods:
        periods = tuple(Period.objects.order_by("order"))
    weekdays = tuple(sorted({int(day) for day in settings.weekdays if int(day) in Weekday.values}))
    return Week(weekdays=weekdays, periods=periods)


@transaction.atomic
def timetable_settings_save(
    *,
    year: AcademicYear,
    weekdays: Iterable[int],
    periods: Iterable[Period],
    time_limit_seconds: int,
    weights: dict[str, int],
    by: User,
) -> TimetableSettings:
    """The year's teaching days and periods, the solver's time limit and the soft wishes' weights."""
    days = sorted({int(day) for day in weekdays})
    if not days or any(day not in Weekday.values for day in days):
        raise RequirementRefused(_("Choose at least one teaching day."))
    chosen = list(periods)
    settings, _created = TimetableSettings.objects.select_for_update().get_or_create(year=year)
    before = _settings_snapshot(settings)
    settings.weekdays = days
    settings.time_limit_seconds = time_limit_seconds
    for name in ("teacher_gaps", "spread", "early", "free_day"):
        setattr(settings, f"weight_{name}", weights[name])
    settings.full_clean(exclude=["year"])
    settings.save()
    settings.periods.set(chosen)
    after = _settings_snapshot(settings)
    if after != before:
        audit_log(actor=by, action="timetable.settings", obj=settings, before=before, after=after)
    return settings


def _settings_snapshot(settings: TimetableSettings) -> dict:
    return {
        "weekdays": list(settings.weekdays),
        "periods": sorted(settings.periods.values_list("pk", flat=True)) if settings.pk else [],
        "time_limit_seconds": settings.time_limit_seconds,
        "weights": [
            settings.weight_teacher_gaps,
            settings.weight_spread,
            settings.weight_early,
            settings.weight_free_day,
        ],
    }


# ----------------------------------------------------------------------------------------------------
# A class's requirement


def offerings_of(year: AcademicYear):
    return CourseOffering.objects.filter(section__year=year)


def section_size(section: Section) -> int:
    """How many students the section has (active enrolments): the room a lesson takes must hold them."""
    return section.enrollments.filter(status="active").count()


def _active_teachers(staff: Iterable[Staff], what: str) -> list[Staff]:
    chosen = list(staff)
    for person in chosen:
        if not person.is_active:
            raise RequirementRefused(
                _("%(name)s has left the school and cannot be one of the %(what)s.")
                % {"name": person.full_name, "what": what}
            )
    return chosen


def _check_counts(periods_per_week: int, double_lessons: int) -> None:
    if periods_per_week < 1:
        raise RequirementRefused(_("A class needs at least one period a week."))
    if periods_per_week > 40:
        raise RequirementRefused(_("A class can have at most 40 periods a week."))
    if double_lessons < 0 or 2 * double_lessons > periods_per_week:
        raise RequirementRefused(
            _("%(doubles)s double periods take %(needed)s periods, more than the %(periods)s a week.")
            % {"doubles": double_lessons, "needed": 2 * double_lessons, "periods": periods_per_week}
        )


def _check_joint(joint: JointLesson | None, requirement: Requirement) -> None:
    """Every member of a joint lesson has the same periods a week and double periods."""
    if joint is None:
        return
    others = joint.requirements.exclude(pk=requirement.pk).select_related(
        "offering__section", "offering__subject"
    )
    for other in others:
        if (other.periods_per_week, other.double_lessons) != (
            requirement.periods_per_week,
            requirement.double_lessons,
        ):
            raise RequirementRefused(
                _(
                    "The joint lesson %(joint)s has %(other)s with %(periods)s periods a week and "
                    "%(doubles)s doubles: every class in it needs the same."
                )
                % {
                    "joint": joint.name,
                    "other": other.offering,
                    "periods": other.periods_per_week,
                    "doubles": other.double_lessons,
                }
            )


@transaction.atomic
def requirement_save(
    *,
    offering: CourseOffering,
    periods_per_week: int,
    double_lessons: int,
    room: Room | None = None,
    room_type: RoomType | None = None,
    co_teachers: Iterable[Staff] = (),
    candidate_teachers: Iterable[Staff] = (),
    prefer_early: bool = False,
    joint: JointLesson | None = None,
    by: User,
) -> Requirement:
    """Create or change a class's requirement. Refused: counts that do not add up, a room and a kind of room
    both, a teacher who left, the class's own teacher as a co-teacher, a joint lesson of another year or
    whose members have other counts."""
    _check_counts(periods_per_week, double_lessons)
    if room is not None and room_type is not None:
        raise RequirementRefused(_("Choose a room or a kind of room, not both."))
    co = _active_teachers(co_teachers, _("co-teachers"))
    candidates = _active_teachers(candidate_teachers, _("qualified teachers"))
    if offering.teacher_id is not None and any(person.pk == offering.teacher_id for person in co):
        raise RequirementRefused(_("The class's own teacher cannot also be its co-teacher."))
    if joint is not None and joint.year_id != offering.section.year_id:
        raise RequirementRefused(_("That joint lesson belongs to another year."))
    requirement = Requirement.objects.select_for_update().filter(offering=offering).first()
    before = _requirement_snapshot(requirement) if requirement else None
    if requirement is None:
        requirement = Requirement(offering=offering)
    requirement.periods_per_week = periods_per_week
    requirement.double_lessons = double_lessons
    requirement.room = room
    requirement.room_type = room_type
    requirement.prefer_early = prefer_early
    requirement.joint = joint
    _check_joint(joint, requirement)
    _check_pins_fit(requirement)
    requirement.save()
    requirement.co_teachers.set(co)
    requirement.candidate_teachers.set(candidates)
    after = _requirement_snapshot(requirement)
    if after != before:
        audit_log(actor=by, action="timetable.requirement", obj=requirement, before=before, after=after)
    return requirement


@transaction.atomic
def requirement_counts_save(
    *, offering: CourseOffering, periods_per_week: int, double_lessons: int, by: User
) -> Requirement:
    """The quick edit of a class's row: its periods a week and doubles, the rest kept."""
    requirement = Requirement.objects.filter(offering=offering).first()
    if requirement is None:
        return requirement_save(
            offering=offering, periods_per_week=periods_per_week, double_lessons=double_lessons, by=by
        )
    return requirement_save(
        offering=offering,
        periods_per_week=periods_per_week,
        double_lessons=double_lessons,
        room=requirement.room,
        room_type=requirement.room_type,
        co_teachers=requirement.co_teachers.all(),
        candidate_teachers=requirement.candidate_teachers.all(),
        prefer_early=requirement.prefer_early,
        joint=requirement.joint,
        by=by,
    )


def _check_pins_fit(requirement: Requirement) -> None:
    if requirement.pk is None:
        return
    pins = list(requirement.pins.all())
    doubles = sum(1 for pin in pins if pin.double)
    if doubles > requirement.double_lessons or len(pins) - doubles > requirement.single_lessons:
        raise RequirementRefused(
            _(
                "This class has %(count)s fixed lessons that the new counts leave no room for: "
                "remove some first."
            )
            % {"count": len(pins)}
        )


def _requirement_snapshot(requirement: Requirement) -> dict:
    return {
        "periods_per_week": requirement.periods_per_week,
        "double_lessons": requirement.double_lessons,
        "room": requirement.room_id,
        "room_type": requirement.room_type_id,
        "prefer_early": requirement.prefer_early,
        "joint": requirement.joint_id,
        "co_teachers": sorted(requirement.co_teachers.values_list("pk", flat=True)),
        "candidate_teachers": sorted(requirement.candidate_teachers.values_list("pk", flat=True)),
    }


@transaction.atomic
def requirement_delete(*, requirement: Requirement, by: User) -> None:
    before = _requirement_snapshot(requirement)
    audit_log(actor=by, action="timetable.requirement_delete", obj=requirement, before=before)
    requirement.delete()


# ----------------------------------------------------------------------------------------------------
# Teachers and rooms


def _slots_valid(slots: Iterable[Slot]) -> set[Slot]:
    chosen = {(int(day), int(period)) for day, period in slots}
    known = set(Period.objects.values_list("pk", flat=True))
    for day, period in chosen:
        if day not in Weekday.values or period not in known:
            raise RequirementRefused(_("That period is not in the bell schedule."))
    return chosen


def _unavailable_set(
    *, year: AcademicYear, staff: Staff | None, room: Room | None, slots: set[Slot]
) -> tuple:
    """Make the unavailable periods inside the teaching week exactly `slots`. Those outside it (a day or a
    period the settings no longer teach, so the grid did not show them) are kept for when they come back."""
    week = week_for(year)
    shown = {(day, period.pk) for day in week.weekdays for period in week.periods}
    rows = Unavailability.objects.filter(year=year, staff=staff, room=room)
    before = set(rows.values_list("weekday", "period_id"))
    gone = (before & shown) - slots
    if gone:
        rows.filter(
            pk__in=[
                pk
                for pk, day, period in rows.values_list("pk", "weekday", "period_id")
                if (day, period) in gone
            ]
        ).delete()
    Unavailability.objects.bulk_create(
        Unavailability(year=year, staff=staff, room=room, weekday=day, period_id=period)
        for day, period in sorted(slots - before)
    )
    return sorted(before), sorted((before - gone) | slots)


@transaction.atomic
def teacher_limits_save(
    *,
    year: AcademicYear,
    staff: Staff,
    max_periods_per_day: int | None,
    preferred_free_day: int | None,
    unavailable: Iterable[Slot],
    by: User,
) -> TeacherLimit:
    """A teacher's most periods a day, preferred free day and unavailable periods for the year."""
    if not staff.is_active:
        raise RequirementRefused(_("%(name)s has left the school.") % {"name": staff.full_name})
    if max_periods_per_day is not None and max_periods_per_day < 1:
        raise RequirementRefused(_("The most periods a day must be at least 1."))
    if preferred_free_day is not None and preferred_free_day not in Weekday.values:
        raise RequirementRefused(_("Choose a day of the week."))
    slots = _slots_valid(unavailable)
    limit, _created = TeacherLimit.objects.select_for_update().get_or_create(year=year, staff=staff)
    before = {"max": limit.max_periods_per_day, "free_day": limit.preferred_free_day}
    limit.max_periods_per_day = max_periods_per_day
    limit.preferred_free_day = preferred_free_day
    limit.save()
    was, now = _unavailable_set(year=year, staff=staff, room=None, slots=slots)
    after = {"max": limit.max_periods_per_day, "free_day": limit.preferred_free_day}
    if before != after or was != now:
        audit_log(
            actor=by,
            action="timetable.teacher_limits",
            obj=staff,
            before={**before, "unavailable": was},
            after={**after, "unavailable": now},
        )
    return limit


@transaction.atomic
def room_requirements_save(
    *,
    year: AcademicYear,
    room: Room,
    room_type: RoomType | None,
    capacity: int | None,
    unavailable: Iterable[Slot],
    by: User,
) -> Room:
    """A room's kind and capacity (the room's own, every year) and its unavailable periods for the year."""
    if room_type is not None and not RoomType.objects.filter(pk=room_type.pk).exists():
        raise RequirementRefused(_("That kind of room no longer exists."))
    slots = _slots_valid(unavailable)
    room = Room.objects.select_for_update().get(pk=room.pk)
    before = {"room_type": room.room_type_id, "capacity": room.capacity}
    room.room_type = room_type
    room.capacity = capacity
    room.save(update_fields=["room_type", "capacity"])
    was, now = _unavailable_set(year=year, staff=None, room=room, slots=slots)
    after = {"room_type": room.room_type_id, "capacity": room.capacity}
    if before != after or was != now:
        audit_log(
            actor=by,
            action="timetable.room",
            obj=room,
            before={**before, "unavailable": was},
            after={**after, "unavailable": now},
        )
    return room


def unavailable_slots(
    *, year: AcademicYear, staff: Staff | None = None, room: Room | None = None
) -> set[Slot]:
    return set(
        Unavailability.objects.filter(year=year, staff=staff, room=room).values_list("weekday", "period_id")
    )


# ----------------------------------------------------------------------------------------------------
# Kinds of room


def _room_type_name(name: str, *, exclude: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise RequirementRefused(_("Give the kind of room a name."))
    same = RoomType.objects.filter(name__iexact=name)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    if same.exists():
        raise RequirementRefused(_("There is already a kind of room called %(name)s.") % {"name": name})
    return name


@transaction.atomic
def room_type_create(*, name: str, by: User) -> RoomType:
    room_type = RoomType.objects.create(name=_room_type_name(name))
    audit_log(actor=by, action="timetable.room_type_create", obj=room_type, after={"name": room_type.name})
    return room_type


@transaction.atomic
def room_type_rename(*, room_type: RoomType, name: str, by: User) -> RoomType:
    before = {"name": room_type.name}
    room_type.name = _room_type_name(name, exclude=room_type.pk)
    room_type.save(update_fields=["name"])
    if before["name"] != room_type.name:
        audit_log(
            actor=by,
            action="timetable.room_type",
            obj=room_type,
            before=before,
            after={"name": room_type.name},
        )
    return room_type


@transaction.atomic
def room_type_delete(*, room_type: RoomType, by: User) -> None:
    """Refused while a class asks for this kind of room (it would silently ask for any room after)."""
    asking = Requirement.objects.filter(room_type=room_type).count()
    if asking:
        raise RequirementRefused(
            _("%(count)s classes ask for %(name)s: give them another room first.")
            % {"count": asking, "name": room_type.name}
        )
    audit_log(actor=by, action="timetable.room_type_delete", obj=room_type, before={"name": room_type.name})
    room_type.delete()


def room_types_with_counts():
    return RoomType.objects.annotate(room_count=Count("rooms", distinct=True)).order_by("name")


# ----------------------------------------------------------------------------------------------------
# Joint lessons


@transaction.atomic
def joint_save(
    *,
    year: AcademicYear,
    name: str,
    members: Iterable[Requirement],
    joint: JointLesson | None = None,
    by: User,
) -> JointLesson:
    """A joint lesson and its member classes (at least two, all of this year, with equal counts)."""
    name = name.strip()
    if not name:
        raise RequirementRefused(_("Give the joint lesson a name."))
    same = JointLesson.objects.filter(year=year, name__iexact=name)
    if joint is not None:
        same = same.exclude(pk=joint.pk)
    if same.exists():
        raise RequirementRefused(_("There is already a joint lesson called %(name)s.") % {"name": name})
    chosen = list(members)
    if len(chosen) < 2:
        raise RequirementRefused(_("A joint lesson joins at least two classes."))
    for requirement in chosen:
        if requirement.offering.section.year_id != year.pk:
            raise RequirementRefused(
                _("%(class)s belongs to another year.") % {"class": requirement.offering}
            )
    counts = {(r.periods_per_week, r.double_lessons) for r in chosen}
    if len(counts) > 1:
        raise RequirementRefused(
            _("Classes taught together need the same periods a week and double periods: %(classes)s.")
            % {
                "classes": "; ".join(
                    _("%(class)s %(periods)s (%(doubles)s doubles)")
                    % {"class": r.offering, "periods": r.periods_per_week, "doubles": r.double_lessons}
                    for r in chosen
                )
            }
        )
    before = None
    if joint is None:
        joint = JointLesson.objects.create(year=year, name=name)
    else:
        joint = JointLesson.objects.select_for_update().get(pk=joint.pk)
        before = {"name": joint.name, "members": sorted(joint.requirements.values_list("pk", flat=True))}
        joint.name = name
        joint.save(update_fields=["name"])
        joint.requirements.exclude(pk__in=[r.pk for r in chosen]).update(joint=None)
    Requirement.objects.filter(pk__in=[r.pk for r in chosen]).update(joint=joint)
    after = {"name": joint.name, "members": sorted(r.pk for r in chosen)}
    if before != after:
        audit_log(actor=by, action="timetable.joint", obj=joint, before=before, after=after)
    return joint


@transaction.atomic
def joint_delete(*, joint: JointLesson, by: User) -> None:
    audit_log(
        actor=by,
        action="timetable.joint_delete",
        obj=joint,
        before={"name": joint.name, "members": sorted(joint.requirements.values_list("pk", flat=True))},
    )
    joint.delete()


# ----------------------------------------------------------------------------------------------------
# Fixed lessons (pins)


@transaction.atomic
def pin_add(*, requirement: Requirement, weekday: int, period: Period, double: bool, by: User) -> Pin:
    """Fix one of a class's lessons to a slot. Refused: a day or period the school does not teach, a double
    that would run past the last teaching period, more fixed lessons than the class has, a slot already
    fixed for it."""
    requirement = Requirement.objects.select_for_update().get(pk=requirement.pk)
    week = week_for(requirement.offering.section.year)
    if weekday not in week.weekdays or period not in week.periods:
        raise RequirementRefused(_("That day or period is not one the school teaches."))
    if double and period == week.periods[-1]:
        raise RequirementRefused(_("A double lesson cannot start in the last teaching period."))
    pins = list(requirement.pins.all())
    doubles = sum(1 for pin in pins if pin.double)
    if double and doubles >= requirement.double_lessons:
        raise RequirementRefused(
            _("%(class)s has %(count)s double periods, all fixed already.")
            % {"class": requirement.offering, "count": requirement.double_lessons}
        )
    if not double and len(pins) - doubles >= requirement.single_lessons:
        raise RequirementRefused(
            _("%(class)s has %(count)s single lessons, all fixed already.")
            % {"class": requirement.offering, "count": requirement.single_lessons}
        )
    if any(pin.weekday == weekday and pin.period_id == period.pk for pin in pins):
        raise RequirementRefused(_("That lesson is fixed there already."))
    pin = Pin.objects.create(requirement=requirement, weekday=weekday, period=period, double=double)
    audit_log(
        actor=by,
        action="timetable.pin",
        obj=pin,
        after={"requirement": requirement.pk, "weekday": weekday, "period": period.pk, "double": double},
    )
    return pin


@transaction.atomic
def pin_delete(*, pin: Pin, by: User) -> None:
    audit_log(
        actor=by,
        action="timetable.pin_delete",
        obj=pin,
        before={"requirement": pin.requirement_id, "weekday": pin.weekday, "period": pin.period_id},
    )
    pin.delete()


def section_periods(year: AcademicYear) -> dict[int, int]:
    """Section id → the periods a week its classes take (joint members counted once per joint lesson)."""
    totals: dict[int, int] = {}
    joints_seen: set[tuple[int, int]] = set()
    for section_id, periods, joint_id in Requirement.objects.filter(offering__section__year=year).values_list(
        "offering__section_id", "periods_per_week", "joint_id"
    ):
        if joint_id is not None:
            if (section_id, joint_id) in joints_seen:
                continue
            joints_seen.add((section_id, joint_id))
        totals[section_id] = totals.get(section_id, 0) + periods
    return totals


def teachers_for_year(year: AcademicYear):
    """The teachers the office sets limits for: active teachers, and anyone teaching a class this year."""
    return (
        Staff.objects.filter(Q(position="teacher", is_active=True) | Q(offerings__section__year=year))
        .distinct()
        .order_by("last_name", "first_name")
    )
