"""Explainable absence patterns, and the weekly digest of students newly flagged.

Each pattern says in plain words why a student is listed ("Absent 4 school days in a row: 10–13 March").
They are found in Python from two queries over a period (the school days of each section, and the absent
and late records), never one query per student:

- several school days in a row absent (at least CONSECUTIVE_MIN);
- the same weekday missed repeatedly (WEEKDAY_MIN of the last WEEKDAY_LOOKBACK such days), not counting
  days that belong to a run of absences, which is explained already;
- the same lesson missed repeatedly (per-lesson registers: LESSON_MIN times in LESSON_WEEKS weeks), not
  counting days on which every lesson was missed;
- rising lateness (at least LATE_MIN late marks in the last LATE_WEEKS weeks and LATE_RISE more than in the
  LATE_WEEKS weeks before).

Only unexcused absences count: an excused absence has an accepted reason and needs no explaining. Patterns
are judged over the LOOKBACK_DAYS before a day (the end of the report's period, or yesterday for the digest).
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy, ngettext

from modules.academics.models import CourseOffering, Section
from modules.attendance.analytics import as_text, day_from_text, registers_between
from modules.attendance.family import rate_term
from modules.attendance.models import (
    AttendancePolicy,
    AttendanceRecord,
    AttendanceStatus,
    FlaggedPattern,
    PatternKind,
    PatternSnapshot,
    Register,
    RegisterMode,
    RegisterModes,
    StoredPattern,
)
from modules.attendance.selectors import AttendanceSummary, attendance_summary

LOOKBACK_DAYS = 42
CONSECUTIVE_MIN = 3
WEEKDAY_LOOKBACK = 6
WEEKDAY_MIN = 3
LESSON_WEEKS = 4
LESSON_MIN = 3
LATE_WEEKS = 2
LATE_MIN = 3
LATE_RISE = 2
# A pattern not seen in the digest for this long that shows again is flagged as new again.
REFLAG_AFTER_DAYS = 14
# The digest lists at most this many students; the rest are on the reports page.
DIGEST_MAX_STUDENTS = 40

WEEKDAYS_PLURAL = {
    0: gettext_lazy("Mondays"),
    1: gettext_lazy("Tuesdays"),
    2: gettext_lazy("Wednesdays"),
    3: gettext_lazy("Thursdays"),
    4: gettext_lazy("Fridays"),
    5: gettext_lazy("Saturdays"),
    6: gettext_lazy("Sundays"),
}


def day_span(first: datetime.date, last: datetime.date) -> str:
    """ "10–13 March", or "28 February – 3 March" across months (in the active language)."""
    if first == last:
        return date_format(first, "MONTH_DAY_FORMAT")
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{date_format(last, 'MONTH_DAY_FORMAT')}"
    return f"{date_format(first, 'MONTH_DAY_FORMAT')} – {date_format(last, 'MONTH_DAY_FORMAT')}"


@dataclass(frozen=True)
class Pattern:
    """One pattern of one student. `reason` is written in the language active when it is read, so the same
    object reads right in a notification rendered for each recipient's language."""

    kind: str
    student_id: int
    section_id: int
    key: str
    count: int
    out_of: int = 0
    first: datetime.date | None = None
    last: datetime.date | None = None
    weekday: int | None = None
    subject: str = ""

    @property
    def reason(self) -> str:
        if self.kind == PatternKind.CONSECUTIVE:
            return ngettext(
                "Absent %(count)s school day in a row: %(days)s",
                "Absent %(count)s school days in a row: %(days)s",
                self.count,
            ) % {"count": self.count, "days": day_span(self.first, self.last)}
        if self.kind == PatternKind.WEEKDAY:
            return gettext("Absent on %(count)s of the last %(total)s %(weekdays)s") % {
                "count": self.count,
                "total": self.out_of,
                "weekdays": WEEKDAYS_PLURAL[self.weekday],
            }
        if self.kind == PatternKind.LESSON:
            return ngettext(
                "Missed %(subject)s %(count)s time in %(weeks)s weeks",
                "Missed %(subject)s %(count)s times in %(weeks)s weeks",
                self.count,
            ) % {"subject": self.subject, "count": self.count, "weeks": LESSON_WEEKS}
        return ngettext(
            "Late %(count)s time in the last %(weeks)s weeks, "
            "up from %(before)s in the %(weeks)s weeks before",
            "Late %(count)s times in the last %(weeks)s weeks, "
            "up from %(before)s in the %(weeks)s weeks before",
            self.count,
        ) % {"count": self.count, "before": self.out_of, "weeks": LATE_WEEKS}

    def __str__(self) -> str:
        return self.reason


@dataclass
class _Student:
    """What was loaded for one student in one section: absences by day (with the lesson of each) and lates."""

    absences: dict[datetime.date, list[int | None]] = field(default_factory=lambda: defaultdict(list))
    lates: list[datetime.date] = field(default_factory=list)


def patterns_load_start(end: datetime.date, start: datetime.date | None = None) -> datetime.date:
    """The first day whose records the patterns as of `end` read."""
    window_start = end - datetime.timedelta(days=LOOKBACK_DAYS - 1)
    return min(start or window_start, window_start)


def patterns_detect(
    *,
    end: datetime.date,
    mode: RegisterModes | str,
    section_ids: list[int] | None = None,
    start: datetime.date | None = None,
    registers: list[tuple] | None = None,
    grade_of: dict[int, int] | None = None,
) -> list[Pattern]:
    """The patterns of every student of the sections (all sections when None) as of `end`, over the
    registers of their grade's mode (`mode`: the RegisterModes, or one kind for every grade).

    Three queries at most: the section school days, the absent/late records, and the subjects' names (one
    more when grade levels have modes of their own and `grade_of`, each section's grade, is not given).
    `start` lets runs of absences that began before the lookback show from their first day. `registers`
    (analytics.registers_between from `patterns_load_start` to `end`) saves loading them again.
    """
    modes = RegisterModes.coerce(mode)
    if grade_of is None and not modes.uniform:
        sections = (
            Section.objects.all() if section_ids is None else Section.objects.filter(pk__in=section_ids)
        )
        grade_of = dict(sections.values_list("pk", "grade_level_id"))
    grade_of = grade_of or {}
    window_start = end - datetime.timedelta(days=LOOKBACK_DAYS - 1)
    load_start = patterns_load_start(end, start)
    if registers is None:
        registers = registers_between(load_start, end, section_ids)
    records = AttendanceRecord.objects.filter(
        date__range=(load_start, end), status__in=[AttendanceStatus.ABSENT, AttendanceStatus.LATE]
    )
    if section_ids is not None:
        records = records.filter(register__section_id__in=section_ids)

    # Records are matched to their register in Python: the query reads the (date, status, register,
    # student) index alone, without a join. Registers of another kind than their grade's mode are not in
    # `where`.
    lessons: dict[int, Counter] = defaultdict(Counter)
    where: dict[int, tuple[int, int | None]] = {}
    for pk, section_id, day, kind, offering_id, _state, _tally in registers:
        if kind != modes.for_grade(grade_of.get(section_id)) or not load_start <= day <= end:
            continue
        lessons[section_id][day] += 1
        where[pk] = (section_id, offering_id)
    students: dict[tuple[int, int], _Student] = defaultdict(_Student)
    rows = records.annotate(day=as_text("date")).values_list("student_id", "day", "status", "register_id")
    for student_id, text, status, register_id in rows.order_by():
        day = day_from_text(text)
        register = where.get(register_id)
        if register is None:
            continue
        found = students[(student_id, register[0])]
        if status == AttendanceStatus.ABSENT:
            found.absences[day].append(register[1])
        else:
            found.lates.append(day)

    calendars = {section_id: _Calendar(days, window_start) for section_id, days in lessons.items()}
    patterns: list[Pattern] = []
    for (student_id, section_id), found in students.items():
        calendar = calendars.get(section_id)
        if calendar is not None:
            section_mode = modes.for_grade(grade_of.get(section_id))
            patterns.extend(_student_patterns(student_id, section_id, found, calendar, end, section_mode))
    _name_subjects(patterns)
    order = list(PatternKind.values)
    patterns.sort(key=lambda p: (p.section_id, p.student_id, order.index(p.kind), p.key))
    return patterns


class _Calendar:
    """A section's school days (with how many registers each had), worked out once for all its students."""

    def __init__(self, lessons: Counter, window_start: datetime.date):
        self.lessons = lessons
        self.days = sorted(lessons)
        self.position = {day: index for index, day in enumerate(self.days)}
        recent = [day for day in self.days if day >= window_start]
        self.window_start = window_start
        self.recent_by_weekday: dict[int, list[datetime.date]] = defaultdict(list)
        for day in recent:
            self.recent_by_weekday[day.weekday()].append(day)


def _runs(missed: list[datetime.date], calendar: _Calendar) -> list[list[datetime.date]]:
    """Runs of days missed one school day after another (weekends and closures have no register)."""
    runs: list[list[datetime.date]] = []
    for day in missed:
        if runs and calendar.position[day] == calendar.position[runs[-1][-1]] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return [run for run in runs if len(run) >= CONSECUTIVE_MIN]


def _student_patterns(
    student_id: int, section_id: int, found: _Student, calendar: _Calendar, end: datetime.date, mode: str
) -> list[Pattern]:
    window_start = calendar.window_start
    # A day missed entirely: absent from every register of the section that day (one in daily mode).
    missed_days = sorted(
        day
        for day, offerings in found.absences.items()
        if day in calendar.position and len(offerings) >= calendar.lessons[day]
    )
    result: list[Pattern] = []

    in_runs: set[datetime.date] = set()
    for run in _runs(missed_days, calendar):
        in_runs.update(run)
        if run[-1] >= window_start:
            result.append(
                Pattern(
                    PatternKind.CONSECUTIVE,
                    student_id,
                    section_id,
                    key=run[0].isoformat(),
                    count=len(run),
                    first=run[0],
                    last=run[-1],
                )
            )

    isolated = {day for day in missed_days if day >= window_start and day not in in_runs}
    for weekday in sorted({day.weekday() for day in isolated}):
        last_ones = calendar.recent_by_weekday[weekday][-WEEKDAY_LOOKBACK:]
        hits = [day for day in last_ones if day in isolated]
        if len(hits) >= WEEKDAY_MIN:
            result.append(
                Pattern(
                    PatternKind.WEEKDAY,
                    student_id,
                    section_id,
                    key=str(weekday),
                    count=len(hits),
                    out_of=len(last_ones),
                    first=hits[0],
                    last=hits[-1],
                    weekday=weekday,
                )
            )

    if mode == RegisterMode.LESSON:
        whole_days = set(missed_days)
        lesson_start = end - datetime.timedelta(weeks=LESSON_WEEKS) + datetime.timedelta(days=1)
        missed_lessons: Counter = Counter()
        for day, offerings in found.absences.items():
            if day >= lesson_start and day not in whole_days:
                missed_lessons.update(offering for offering in offerings if offering is not None)
        for offering_id, count in sorted(missed_lessons.items()):
            if count >= LESSON_MIN:
                result.append(
                    Pattern(PatternKind.LESSON, student_id, section_id, key=str(offering_id), count=count)
                )

    if len(found.lates) >= LATE_MIN:
        recent_start = end - datetime.timedelta(weeks=LATE_WEEKS) + datetime.timedelta(days=1)
        before_start = recent_start - datetime.timedelta(weeks=LATE_WEEKS)
        recent = sum(1 for day in found.lates if recent_start <= day <= end)
        before = sum(1 for day in found.lates if before_start <= day < recent_start)
        if recent >= LATE_MIN and recent >= before + LATE_RISE:
            result.append(
                Pattern(PatternKind.LATENESS, student_id, section_id, key="", count=recent, out_of=before)
            )
    return result


def _name_subjects(patterns: list[Pattern]) -> None:
    wanted = {int(p.key) for p in patterns if p.kind == PatternKind.LESSON}
    if not wanted:
        return
    names = dict(CourseOffering.objects.filter(pk__in=wanted).values_list("pk", "subject__name"))
    for index, pattern in enumerate(patterns):
        if pattern.kind == PatternKind.LESSON:
            patterns[index] = replace(pattern, subject=names.get(int(pattern.key), ""))


# --- patterns worked out on the queue ---------------------------------------------------------------------
#
# The reports page shows the patterns as of today over the current term; working them out reads six weeks of
# absences of the whole school. They are worked out on the queue instead (tasks/attendance_tallies.py): for
# the register's section when a register is submitted or a mark on a submitted one corrected, and for the
# whole school each night (the day moves every window) and whenever the stored set is of another day.

STORED_FIELDS = (
    "kind",
    "student_id",
    "section_id",
    "key",
    "count",
    "out_of",
    "first",
    "last",
    "weekday",
    "subject",
)
SNAPSHOT_PK = 1


def _snapshot_locked() -> PatternSnapshot | None:
    """The snapshot row, locked: refreshes of the stored patterns run one at a time."""
    return PatternSnapshot.objects.select_for_update().filter(pk=SNAPSHOT_PK).first()


@transaction.atomic
def patterns_refresh(
    *, today: datetime.date | None = None, register_id: int | None = None, record_id: int | None = None
) -> int:
    """Work out the patterns as of `today` over the current term (analytics.default_period) and store them
    (StoredPattern, PatternSnapshot): only the section of a register (or of a record's register) when one is
    given and the stored set is of the same day, period and mode; else the whole school's. Returns how many
    patterns were stored. Safe to run twice, and at the same time as another (the snapshot row's lock makes
    them take turns)."""
    from modules.attendance.analytics import default_period

    section_id = None
    if register_id is not None:
        section_id = Register.objects.filter(pk=register_id).values_list("section_id", flat=True).first()
    elif record_id is not None:
        records = AttendanceRecord.objects.filter(pk=record_id)
        section_id = records.values_list("register__section_id", flat=True).first()
    today = today or timezone.localdate()
    modes = AttendancePolicy.load().modes
    mode = modes.signature
    since = default_period(today).start
    snapshot = _snapshot_locked()
    if snapshot is None:
        try:
            with transaction.atomic():
                PatternSnapshot.objects.create(
                    pk=SNAPSHOT_PK, as_of=today, since=since, mode=mode, refreshed_at=timezone.now()
                )
        except IntegrityError:
            pass  # made by a refresh running at the same time: wait for its lock below
        snapshot = _snapshot_locked()
        section_id = None
    elif (snapshot.as_of, snapshot.since, snapshot.mode) != (today, since, mode):
        section_id = None
    section_ids = None if section_id is None else [section_id]
    found = patterns_detect(end=today, mode=modes, section_ids=section_ids, start=since)
    stored = StoredPattern.objects.all()
    if section_ids is not None:
        stored = stored.filter(section_id__in=section_ids)
    stored.delete()
    StoredPattern.objects.bulk_create(
        [StoredPattern(**{name: getattr(pattern, name) for name in STORED_FIELDS}) for pattern in found],
        batch_size=1000,
    )
    PatternSnapshot.objects.filter(pk=SNAPSHOT_PK).update(
        as_of=today, since=since, mode=mode, refreshed_at=timezone.now()
    )
    return len(found)


def patterns_stored(
    *,
    end: datetime.date,
    mode: RegisterModes | str,
    start: datetime.date,
    section_ids: list[int] | None = None,
) -> tuple[list[Pattern], datetime.datetime] | None:
    """The patterns worked out on the queue, when they are those of this day, period and register modes
    (what patterns_detect would find), with when they were worked out; None when they are not (then
    detect)."""
    signature = RegisterModes.coerce(mode).signature
    snapshot = PatternSnapshot.objects.filter(pk=SNAPSHOT_PK).first()
    if snapshot is None or (snapshot.as_of, snapshot.since, snapshot.mode) != (end, start, signature):
        return None
    stored = StoredPattern.objects.order_by()
    if section_ids is not None:
        stored = stored.filter(section_id__in=section_ids)
    patterns = [
        Pattern(**dict(zip(STORED_FIELDS, row, strict=True))) for row in stored.values_list(*STORED_FIELDS)
    ]
    order = list(PatternKind.values)
    patterns.sort(key=lambda p: (p.section_id, p.student_id, order.index(p.kind), p.key))
    return patterns, snapshot.refreshed_at


@dataclass
class StudentPatterns:
    """A student with their patterns, for listing."""

    student: object
    section: Section | None
    patterns: list[Pattern]
    # This term's attendance (selectors.attendance_summary), where a message shows it (the weekly digest).
    attendance: AttendanceSummary | None = None


def patterns_by_student(patterns: list[Pattern], sections: dict[int, Section]) -> list[StudentPatterns]:
    """Group patterns per student (one query for the students), in section then name order."""
    from modules.people.models import Student

    if not patterns:
        return []
    grouped: dict[tuple[int, int], list[Pattern]] = defaultdict(list)
    for pattern in patterns:
        grouped[(pattern.section_id, pattern.student_id)].append(pattern)
    people = Student.objects.in_bulk({student_id for _section, student_id in grouped})
    result = [
        StudentPatterns(student=people[student_id], section=sections.get(section_id), patterns=found)
        for (section_id, student_id), found in grouped.items()
        if student_id in people
    ]
    order = {pk: index for index, pk in enumerate(sections)}
    result.sort(
        key=lambda item: (
            order.get(item.section.pk if item.section else -1, len(order)),
            item.student.last_name,
            item.student.first_name,
        )
    )
    return result


# --- the weekly digest --------------------------------------------------------------------------------


@dataclass
class DigestResult:
    detected: int = 0
    new: int = 0
    notifications: int = 0


def week_start_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


@transaction.atomic
def flags_update(*, patterns: list[Pattern], today: datetime.date) -> list[Pattern]:
    """Record the patterns seen today; return those first flagged this week (new, or back after a lapse).

    Running it again in the same week returns the same patterns, so the digest built from it is the same.
    """
    if not patterns:
        return []
    week_start = week_start_of(today)
    lapse = today - datetime.timedelta(days=REFLAG_AFTER_DAYS)
    existing = {
        (flag.student_id, flag.kind, flag.key): flag
        for flag in FlaggedPattern.objects.select_for_update().filter(
            student_id__in={p.student_id for p in patterns}
        )
    }
    fresh, changed, new = [], [], []
    handled: set[tuple[int, str, str]] = set()
    for pattern in patterns:
        identity = (pattern.student_id, pattern.kind, pattern.key)
        flag = existing.get(identity)
        if identity in handled:
            # The same student and pattern in a second section (they moved): one flag.
            if flag.first_seen >= week_start:
                new.append(pattern)
            continue
        handled.add(identity)
        if flag is None:
            flag = FlaggedPattern(
                student_id=pattern.student_id,
                kind=pattern.kind,
                key=pattern.key,
                first_seen=today,
                last_seen=today,
            )
            existing[identity] = flag
            fresh.append(flag)
        else:
            if flag.last_seen <= lapse:
                flag.first_seen = today
            flag.last_seen = max(flag.last_seen, today)
            changed.append(flag)
        if flag.first_seen >= week_start:
            new.append(pattern)
    FlaggedPattern.objects.bulk_create(fresh, ignore_conflicts=True)
    FlaggedPattern.objects.bulk_update(changed, ["first_seen", "last_seen"])
    return new


def _digest_items(grouped: list[StudentPatterns]) -> dict:
    return {
        "items": grouped[:DIGEST_MAX_STUDENTS],
        "count": len(grouped),
        "more": max(0, len(grouped) - DIGEST_MAX_STUDENTS),
    }


def weekly_digest_send(*, today: datetime.date | None = None) -> DigestResult:
    """Tell homeroom teachers (their students) and the office (everyone) which students were newly flagged
    this week. Patterns are judged as of yesterday. Safe to run twice in a week: nothing is sent twice."""
    from modules.accounts.models import User
    from modules.attendance.analytics import default_period
    from modules.attendance.notifications import ATTENDANCE_DIGEST
    from modules.communications.services import notify, recipients_for_users, users_with_profiles
    from modules.people.models import Position

    today = today or timezone.localdate()
    end = today - datetime.timedelta(days=1)
    policy = AttendancePolicy.load()
    period = default_period(end)
    patterns = patterns_detect(end=end, mode=policy.modes, start=period.start)
    new = flags_update(patterns=patterns, today=today)
    result = DigestResult(detected=len(patterns), new=len(new))
    if not new:
        return result

    sections = Section.objects.filter(pk__in={p.section_id for p in new}).select_related("homeroom_teacher")
    by_section = {section.pk: section for section in sections.order_by("grade_level__order", "name")}
    grouped = patterns_by_student(new, by_section)
    week = week_start_of(today)
    term = rate_term(end)
    context = {"week": week, "term": term}
    if term is not None:
        # The term's rate as of yesterday: the figure the family page and the report card give.
        summaries = attendance_summary(
            [item.student.pk for item in grouped], term.start_date, min(term.end_date, end), mode=policy.modes
        )
        for item in grouped:
            item.attendance = summaries[item.student.pk]

    teacher_users = {
        section.homeroom_teacher.user_id
        for section in by_section.values()
        if section.homeroom_teacher_id and section.homeroom_teacher.is_active
    }
    users = {
        user.pk: user
        for user in users_with_profiles(User.objects.filter(pk__in=teacher_users, is_active=True))
    }
    for user_id, user in users.items():
        mine = [
            item
            for item in grouped
            if item.section is not None
            and item.section.homeroom_teacher_id
            and item.section.homeroom_teacher.user_id == user_id
        ]
        sent = notify(
            recipients_for_users([user]),
            ATTENDANCE_DIGEST,
            {**context, **_digest_items(mine)},
            event=f"week:{week.isoformat()}:homeroom",
            url=reverse("attendance:reports_overview"),
        )
        result.notifications += sent.notifications

    office = users_with_profiles(
        User.objects.filter(
            is_active=True, staff_profile__position=Position.ADMINISTRATOR, staff_profile__is_active=True
        )
    )
    sent = notify(
        recipients_for_users(office),
        ATTENDANCE_DIGEST,
        {**context, **_digest_items(grouped)},
        event=f"week:{week.isoformat()}:office",
        url=reverse("attendance:reports_overview"),
    )
    result.notifications += sent.notifications
    return result
