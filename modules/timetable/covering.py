"""Cover for absent teachers: who is away, which lessons need someone, who is free to take them, the cover.

The office marks a teacher absent for a day or some periods of it (`absence_record`). A lesson needs cover
on a date when its teacher (`Lesson.teacher`) is away for any period it takes, in the timetable in effect
that day (`Lesson.objects.in_effect_on`), on a school day (holidays and closures have no lessons). A lesson
whose co-teacher (`Requirement.co_teachers`) is away is listed too, marked co-taught (`ToCover.co_taught`):
its teacher still teaches it and keeps its register; the cover stands in for the co-teacher only
(`Cover.takes_register`, `Cover.objects.taking_register()`).

A teacher may cover a lesson when, for every period it takes, they are at school and free: not absent, not
teaching a lesson of the timetable in effect, not covering another lesson, not unavailable in the timetable
requirements. The free teachers are offered qualified first (they teach the lesson's subject to some class
this year), then the fewest covers this term, then by name (`cover_candidates`).

One click assigns (`cover_assign`): the database holds one cover per lesson and date, so two people
assigning the same lesson at once end with one cover and a clear refusal for the other. The covering teacher
is told ("cover assigned", modules/timetable/notifications.py) and, covering for the lesson's teacher (not a
co-teacher), may take that lesson's register on that date (modules/attendance/models.py
`RegisterQuerySet.visible_to`). Every change is audited.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from modules.academics.models import CalendarEvent, CourseOffering, Period, Term
from modules.accounts.models import User
from modules.communications.services import notify, recipients_for_users, users_with_profiles
from modules.core.audit import audit_log
from modules.people.models import Position, Staff
from modules.timetable.models import (
    Cover,
    Lesson,
    Requirement,
    TeacherAbsence,
    TimetableSettings,
    Unavailability,
)
from modules.timetable.notifications import COVER_ASSIGNED, COVER_CANCELLED

# What telling the teacher about a cover reads of its lesson.
COVER_LESSON = ("teacher", "lesson__offering__subject", "lesson__offering__section", "lesson__period")
# Free teachers shown for a lesson before "more": the board stays readable in a large school.
CANDIDATES_SHOWN = 5


class CoverError(Exception):
    """A change refused; the message is for the person who tried it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Candidate:
    """A teacher free to cover a lesson: qualified (teaches its subject this year) and covers this term."""

    staff: Staff
    qualified: bool
    covers: int


@dataclass
class ToCover:
    """A lesson of the day whose teacher (or, `co_taught`, a co-teacher) is away: its absence, its cover (if
    assigned), the free teachers."""

    lesson: Lesson
    absence: TeacherAbsence
    periods: list[Period]
    cover: Cover | None = None
    candidates: list[Candidate] = field(default_factory=list)
    # A co-teacher is away; the lesson's teacher (`lesson.teacher`) still teaches it and takes its register.
    co_taught: bool = False

    @property
    def shown(self) -> list[Candidate]:
        return self.candidates[:CANDIDATES_SHOWN]

    @property
    def more(self) -> list[Candidate]:
        return self.candidates[CANDIDATES_SHOWN:]


def is_closed(day: datetime.date) -> bool:
    """A holiday or closure on the school calendar: no lessons, nothing to cover."""
    return CalendarEvent.objects.closures().on(day).exists()


def _teaching_periods(year_ids: Iterable[int], every: list[int]) -> dict[int, list[int]]:
    """Each year's teaching periods in order: its timetable settings' periods, or `every` period of the bell
    schedule (in order) when none are chosen, as the solver reads them. One query."""
    chosen: dict[int, list[int]] = defaultdict(list)
    for year_id, period_id in (
        TimetableSettings.periods.through.objects.filter(timetablesettings__year_id__in=list(year_ids))
        .order_by("period__order")
        .values_list("timetablesettings__year_id", "period_id")
    ):
        chosen[year_id].append(period_id)
    return {year_id: chosen.get(year_id) or every for year_id in year_ids}


class _Day:
    """Everything one day's cover is decided from, loaded once (a flat number of queries, whatever the
    school's size): the lessons in effect with the periods each takes, who teaches each, the absences, the
    covers, the teachers' unavailable periods and the periods of the bell schedule."""

    def __init__(self, day: datetime.date):
        self.day = day
        self.closed = is_closed(day)
        self.lessons: list[Lesson] = []
        self.slots: dict[int, frozenset[int]] = {}
        self.teachers: dict[int, set[int]] = {}
        self.absences: dict[int, TeacherAbsence] = {}
        self.absent_periods: dict[int, frozenset[int] | None] = {}
        self.covers: dict[int, Cover] = {}
        self.periods = {period.pk: period for period in Period.objects.all()}
        if self.closed:
            return
        self.lessons = list(
            Lesson.objects.in_effect_on(day)
            .placed()
            .select_related(
                "offering__subject",
                "offering__section__grade_level",
                "teacher",
                "room",
                "timetable",
            )
            .order_by("period__order", "offering__section__name", "offering__subject__name")
        )
        year_ids = {lesson.timetable.year_id for lesson in self.lessons}
        every = [period.pk for period in sorted(self.periods.values(), key=lambda period: period.order)]
        order = _teaching_periods(year_ids, every) if year_ids else {}
        for lesson in self.lessons:
            periods = order.get(lesson.timetable.year_id, [])
            taken: list[int] = [lesson.period_id] if lesson.period_id else []
            if lesson.length == 2 and lesson.period_id in periods:
                at = periods.index(lesson.period_id)
                taken += periods[at + 1 : at + 2]
            self.slots[lesson.pk] = frozenset(taken)
            self.teachers[lesson.pk] = {lesson.teacher_id} if lesson.teacher_id else set()
        co_teachers = Requirement.co_teachers.through.objects.filter(
            requirement__offering_id__in={lesson.offering_id for lesson in self.lessons}
        ).values_list("requirement__offering_id", "staff_id")
        by_offering: dict[int, set[int]] = defaultdict(set)
        for offering_id, staff_id in co_teachers:
            by_offering[offering_id].add(staff_id)
        for lesson in self.lessons:
            self.teachers[lesson.pk] |= by_offering.get(lesson.offering_id, set())
        for absence in (
            TeacherAbsence.objects.filter(date=day).select_related("staff").prefetch_related("periods")
        ):
            self.absences[absence.staff_id] = absence
            chosen = frozenset(period.pk for period in absence.periods.all())
            self.absent_periods[absence.staff_id] = chosen or None  # None: the whole day
        for cover in Cover.objects.filter(date=day).select_related("teacher", "created_by"):
            self.covers[cover.lesson_id] = cover

    def absent(self, staff_id: int, slots: frozenset[int]) -> bool:
        if staff_id not in self.absent_periods:
            return False
        periods = self.absent_periods[staff_id]
        return periods is None or bool(periods & slots)

    def _away(self, lesson: Lesson) -> tuple[int, bool] | None:
        """Who of the lesson's teachers is away: its teacher (False), else a co-teacher (True) while its
        teacher is there; None when nobody is."""
        slots = self.slots[lesson.pk]
        if not lesson.teacher_id:
            return None
        if self.absent(lesson.teacher_id, slots):
            return lesson.teacher_id, False
        co = sorted(
            pk for pk in self.teachers[lesson.pk] if pk != lesson.teacher_id and self.absent(pk, slots)
        )
        return (co[0], True) if co else None

    def to_cover(self) -> list[ToCover]:
        result = []
        for lesson in self.lessons:
            away = self._away(lesson)
            if away is None:
                continue
            staff_id, co_taught = away
            result.append(
                ToCover(
                    lesson=lesson,
                    absence=self.absences[staff_id],
                    periods=[
                        self.periods[pk]
                        for pk in sorted(self.slots[lesson.pk], key=lambda pk: self.periods[pk].order)
                    ],
                    cover=self.covers.get(lesson.pk),
                    co_taught=co_taught,
                )
            )
        return result

    def find(self, lesson_id: int) -> ToCover | None:
        return next((item for item in self.to_cover() if item.lesson.pk == lesson_id), None)

    def why_not(self, staff: Staff, item: ToCover) -> str:
        """Why this teacher cannot cover this lesson ("" when they can)."""
        slots = self.slots[item.lesson.pk]
        name = staff.full_name
        if not staff.is_active or staff.position != Position.TEACHER:
            return _("%(teacher)s is not one of the school's teachers.") % {"teacher": name}
        if self.absent(staff.pk, slots):
            return _("%(teacher)s is away then.") % {"teacher": name}
        for lesson in self.lessons:
            if staff.pk in self.teachers[lesson.pk] and self.slots[lesson.pk] & slots:
                if lesson.pk == item.lesson.pk:
                    return _("%(teacher)s teaches this class.") % {"teacher": name}
                return _("%(teacher)s teaches %(class)s then.") % {
                    "teacher": name,
                    "class": str(lesson.offering),
                }
        for lesson in self.lessons:
            cover = self.covers.get(lesson.pk)
            if (
                cover
                and cover.teacher_id == staff.pk
                and lesson.pk != item.lesson.pk
                and self.slots[lesson.pk] & slots
            ):
                return _("%(teacher)s already covers %(class)s then.") % {
                    "teacher": name,
                    "class": str(lesson.offering),
                }
        year_id = item.lesson.timetable.year_id
        if Unavailability.objects.filter(
            year_id=year_id, staff=staff, weekday=self.day.weekday(), period_id__in=slots
        ).exists():
            return _("%(teacher)s is not available then in the timetable.") % {"teacher": name}
        return ""

    def busy(self) -> dict[int, set[int]]:
        """Period id → the teachers taken then: teaching, covering or away."""
        taken: dict[int, set[int]] = defaultdict(set)
        for lesson in self.lessons:
            for period_id in self.slots[lesson.pk]:
                taken[period_id] |= self.teachers[lesson.pk]
                cover = self.covers.get(lesson.pk)
                if cover is not None:
                    taken[period_id].add(cover.teacher_id)
        return taken

    def fill_candidates(self, items: list[ToCover]) -> None:
        """The free teachers of each lesson still to cover, in the order the office picks from."""
        pending = [item for item in items if item.cover is None]
        if not pending:
            return
        teachers = list(
            Staff.objects.filter(is_active=True, position=Position.TEACHER, user__is_active=True).order_by(
                "last_name", "first_name", "pk"
            )
        )
        busy = self.busy()
        year_ids = {item.lesson.timetable.year_id for item in pending}
        unavailable: dict[tuple[int, int], set[int]] = defaultdict(set)
        for year_id, staff_id, period_id in Unavailability.objects.filter(
            year_id__in=year_ids, staff__isnull=False, weekday=self.day.weekday()
        ).values_list("year_id", "staff_id", "period_id"):
            unavailable[(year_id, period_id)].add(staff_id)
        qualified = _qualified(year_ids)
        covers = _covers_this_term(self.day, year_ids)
        for item in pending:
            lesson = item.lesson
            slots = self.slots[lesson.pk]
            year_id = lesson.timetable.year_id
            taken = set(self.teachers[lesson.pk])
            for period_id in slots:
                taken |= busy.get(period_id, set()) | unavailable.get((year_id, period_id), set())
            subject_teachers = qualified.get((year_id, lesson.offering.subject_id), set())
            counts = covers.get(year_id, Counter())
            found = [
                Candidate(staff=staff, qualified=staff.pk in subject_teachers, covers=counts[staff.pk])
                for staff in teachers
                if staff.pk not in taken and not self.absent(staff.pk, slots)
            ]
            # Stable: teachers were loaded in name order, so equal keys keep it.
            found.sort(key=lambda candidate: (not candidate.qualified, candidate.covers))
            item.candidates = found


def _qualified(year_ids: set[int]) -> dict[tuple[int, int], set[int]]:
    """(year, subject) → the teachers who teach that subject to some class that year: the classes' teachers
    and co-teachers, and the teachers of its lessons in the year's timetables. Three queries."""
    found: dict[tuple[int, int], set[int]] = defaultdict(set)
    for year_id, subject_id, staff_id in CourseOffering.objects.filter(
        section__year_id__in=year_ids, teacher__isnull=False
    ).values_list("section__year_id", "subject_id", "teacher_id"):
        found[(year_id, subject_id)].add(staff_id)
    for year_id, subject_id, staff_id in Requirement.co_teachers.through.objects.filter(
        requirement__offering__section__year_id__in=year_ids
    ).values_list("requirement__offering__section__year_id", "requirement__offering__subject_id", "staff_id"):
        found[(year_id, subject_id)].add(staff_id)
    for year_id, subject_id, staff_id in (
        Lesson.objects.filter(timetable__year_id__in=year_ids, teacher__isnull=False)
        .values_list("timetable__year_id", "offering__subject_id", "teacher_id")
        .distinct()
    ):
        found[(year_id, subject_id)].add(staff_id)
    return found


def _covers_this_term(day: datetime.date, year_ids: set[int]) -> dict[int, Counter[int]]:
    """Year → how many lessons each teacher covered in the term of `day` (the whole year when the day is in
    no term)."""
    result: dict[int, Counter[int]] = {}
    for year_id in year_ids:
        term = Term.objects.filter(year_id=year_id, start_date__lte=day, end_date__gte=day).first()
        covers = Cover.objects.filter(lesson__timetable__year_id=year_id)
        if term is not None:
            covers = covers.filter(date__range=(term.start_date, term.end_date))
        result[year_id] = Counter(
            dict(covers.values("teacher_id").annotate(n=Count("pk")).values_list("teacher_id", "n"))
        )
    return result


def lessons_to_cover(day: datetime.date) -> list[ToCover]:
    """The day's lessons whose teacher or a co-teacher is away (none on a holiday or closure), each with its
    absence and its cover when one is assigned, in the order of the day."""
    return _Day(day).to_cover()


@dataclass
class Board:
    """The office's cover board for a day."""

    day: datetime.date
    closed: bool
    absences: list[TeacherAbsence]
    items: list[ToCover]

    @property
    def uncovered(self) -> int:
        return sum(1 for item in self.items if item.cover is None)


def cover_board(day: datetime.date) -> Board:
    """The office's board: the teachers away that day, and every lesson to cover with its cover or, while
    uncovered, the free teachers."""
    picture = _Day(day)
    items = picture.to_cover()
    picture.fill_candidates(items)
    absences = sorted(
        picture.absences.values(), key=lambda absence: (absence.staff.last_name, absence.staff.first_name)
    )
    return Board(day=day, closed=picture.closed, absences=absences, items=items)


def cover_candidates(lesson: Lesson, day: datetime.date) -> list[Candidate]:
    """The teachers free to cover `lesson` on `day`: qualified first, then the fewest covers this term, then
    by name. Empty when the lesson needs no cover that day."""
    picture = _Day(day)
    item = picture.find(lesson.pk)
    if item is None:
        return []
    item.cover = None  # who else could take it, even when it is covered
    picture.fill_candidates([item])
    return item.candidates


def _lesson_words(item: ToCover, day: datetime.date) -> dict[str, str]:
    lesson = item.lesson
    return {
        "class": str(lesson.offering),
        "date": date_format(day, "DATE_FORMAT"),
        "period": " + ".join(period.name for period in item.periods),
    }


@transaction.atomic
def cover_assign(*, lesson: Lesson, day: datetime.date, teacher: Staff, user: User) -> Cover:
    """`teacher` covers `lesson` on `day`. Refused (CoverError, saying why) when the lesson needs no cover
    then, when the teacher is not free, or when someone else assigned a cover meanwhile. Assigning the
    teacher who already covers it changes nothing. The teacher is told; the change is audited."""
    # One assignment per teacher at a time: two lessons of the same period cannot both take them.
    Staff.objects.select_for_update().filter(pk=teacher.pk).first()
    picture = _Day(day)
    item = picture.find(lesson.pk)
    if item is None:
        raise CoverError(
            _(
                "%(class)s needs no cover on %(date)s: neither its teacher nor a co-teacher is marked away "
                "then, or it is not taught that day."
            )
            % {"class": str(lesson.offering), "date": date_format(day, "DATE_FORMAT")}
        )
    refusal = picture.why_not(teacher, item)
    if refusal:
        raise CoverError(refusal)
    # The database holds one cover per lesson and date: a cover already there (assigned from a page drawn
    # before it, or at this very moment by someone else) makes this insert fail, whatever this read saw.
    try:
        with transaction.atomic():
            cover = Cover.objects.create(
                lesson=lesson, date=day, absence=item.absence, teacher=teacher, created_by=user
            )
    except IntegrityError:
        current = Cover.objects.filter(lesson=lesson, date=day).select_related("teacher").first()
        if current is None:
            raise
        if current.teacher_id == teacher.pk:
            return current
        raise CoverError(_already_covered(current)) from None
    audit_log(
        actor=user,
        action="timetable.cover.assign",
        obj=cover,
        after={
            "lesson": lesson.pk,
            "date": day.isoformat(),
            "teacher": teacher.pk,
            "absence": item.absence.pk,
        },
    )
    _notify_cover(cover, item)
    return cover


def _already_covered(cover: Cover) -> str:
    return _(
        "%(teacher)s was assigned to cover this lesson meanwhile. Remove that cover first to choose someone "
        "else."
    ) % {"teacher": cover.teacher.full_name}


def _notify_cover(cover: Cover, item: ToCover) -> None:
    lesson = item.lesson
    notify(
        recipients_for_users(users_with_profiles().filter(staff_profile=cover.teacher, is_active=True)),
        COVER_ASSIGNED,
        {
            "cover": cover,
            "date": cover.date,
            "subject": lesson.offering.subject.name,
            "section": lesson.offering.section.name,
            "period": item.periods[0],
            "double": len(item.periods) > 1,
            "room": lesson.room.name if lesson.room else "",
            "absent": item.absence.staff.full_name,
            # Co-taught: the lesson's teacher is there and takes the register; the cover teaches with them.
            "co_taught": item.co_taught,
            "teacher": lesson.teacher.full_name if item.co_taught and lesson.teacher else "",
        },
        obj=cover,
        url=reverse("timetable:my_cover"),
    )


@transaction.atomic
def cover_remove(*, cover: Cover, user: User) -> None:
    """The lesson is uncovered again (audited). The teacher who was to cover it is told, unless its day has
    passed (a correction of the record)."""
    audit_log(
        actor=user,
        action="timetable.cover.remove",
        obj=cover,
        before={
            "lesson": cover.lesson_id,
            "date": cover.date.isoformat(),
            "teacher": cover.teacher_id,
            "absence": cover.absence_id,
        },
    )
    if cover.date >= timezone.localdate():
        lesson = cover.lesson
        notify(
            recipients_for_users(
                users_with_profiles().filter(staff_profile=cover.teacher_id, is_active=True)
            ),
            COVER_CANCELLED,
            {
                "date": cover.date,
                "subject": lesson.offering.subject.name,
                "section": lesson.offering.section.name,
                "period": lesson.period,
            },
            obj=cover,
            url=reverse("timetable:my_cover"),
        )
    cover.delete()


@transaction.atomic
def absence_record(
    *,
    staff: Staff,
    date: datetime.date,
    periods: Iterable[Period] = (),
    note: str = "",
    user: User,
) -> TeacherAbsence:
    """`staff` is away on `date`: the whole day (no periods) or the periods given. Recording the same
    teacher's day again replaces its periods and note; covers of lessons no longer inside the absence are
    removed, and so are the covers the teacher was to take while away (those lessons are uncovered again).
    Audited."""
    if not staff.is_active:
        raise CoverError(_("%(teacher)s is no longer on the staff.") % {"teacher": staff.full_name})
    chosen = sorted({period.pk for period in periods})
    note = note.strip()[:200]
    absence = TeacherAbsence.objects.select_for_update().filter(staff=staff, date=date).first()
    created = False
    if absence is None:
        try:
            with transaction.atomic():
                absence = TeacherAbsence.objects.create(staff=staff, date=date, note=note, created_by=user)
            created = True
        except IntegrityError:
            # Recorded by someone else meanwhile: this record replaces theirs.
            absence = TeacherAbsence.objects.select_for_update().get(staff=staff, date=date)
    before = None
    if not created:
        before = {"periods": sorted(absence.periods.values_list("pk", flat=True)), "note": absence.note}
    absence.note = note
    absence.save(update_fields=["note"])
    absence.periods.set(chosen)
    picture = _Day(date)
    needed = {item.lesson.pk for item in picture.to_cover() if item.absence.pk == absence.pk}
    removed = []
    for cover in absence.covers.exclude(lesson_id__in=needed).select_related(*COVER_LESSON):
        removed.append(cover.pk)
        cover_remove(cover=cover, user=user)
    # The lessons this teacher was to cover while now away go back on the board, uncovered.
    for cover in Cover.objects.filter(date=date, teacher=staff).select_related(*COVER_LESSON):
        if picture.absent(staff.pk, picture.slots.get(cover.lesson_id, frozenset())):
            removed.append(cover.pk)
            cover_remove(cover=cover, user=user)
    # So do this teacher's lessons covered for an absent co-teacher: they now need a cover who takes the
    # register in this teacher's place.
    for item in picture.to_cover():
        standing_in = item.cover
        if (
            item.absence.pk == absence.pk
            and standing_in is not None
            and standing_in.absence_id != absence.pk
            and standing_in.pk not in removed
        ):
            removed.append(standing_in.pk)
            cover_remove(cover=standing_in, user=user)
    audit_log(
        actor=user,
        action="timetable.absence.record",
        obj=absence,
        before=before,
        after={"date": date.isoformat(), "periods": chosen, "note": absence.note, "covers_removed": removed},
    )
    return absence


@transaction.atomic
def absence_remove(*, absence: TeacherAbsence, user: User) -> None:
    """The teacher is not away after all: the absence and its covers go (audited)."""
    for cover in absence.covers.all():
        cover_remove(cover=cover, user=user)
    audit_log(
        actor=user,
        action="timetable.absence.remove",
        obj=absence,
        before={
            "staff": absence.staff_id,
            "date": absence.date.isoformat(),
            "periods": sorted(absence.periods.values_list("pk", flat=True)),
            "note": absence.note,
        },
    )
    absence.delete()


def my_covers(staff: Staff, *, since: datetime.date) -> list[Cover]:
    """The lessons a teacher covers from `since` on, in the order of the days."""
    return list(
        Cover.objects.filter(teacher=staff, date__gte=since)
        .select_related(
            "lesson__offering__subject",
            "lesson__offering__section",
            "lesson__period",
            "lesson__room",
            "lesson__teacher",
            "absence__staff",
        )
        .order_by("date", "lesson__period__order")
    )
