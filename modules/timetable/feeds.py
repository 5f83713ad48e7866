"""Personal calendar feeds (iCalendar, RFC 5545): Google Calendar, Outlook and Apple Calendar subscribe.

A feed holds, for its owner: their lessons (a student's section's, each child's for a guardian, a teacher's
own and the ones they cover), each a weekly event over each term's dates (and the dates its timetable is in
effect) with the holidays and closures on its weekday left out (EXDATE), a lesson covered by someone else
left out of its teacher's feed and told as covered in the family's; the school calendar's days; and what
higher modules add through sources registered in their `AppConfig.ready()` with `feed_source_register`
(exams: exam sittings; assignments: due dates), since this module may not import them. Times are in the
school's zone (settings.TIME_ZONE), with its VTIMEZONE. Weekly events rather than one event per day keep a
teacher's half-year feed to a few dozen events, which is what makes it cheap to build (a calendar client
expands them).

The address carries a random token; only its SHA-256 is stored (`CalendarFeed`), so the address is shown
once when made, and making a new one or revoking it ends the old one. Bounded: FEED_PAST days back and
FEED_AHEAD days ahead of today, and a built feed is kept for FEED_CACHE_SECONDS, so a calendar polling it
costs a cache read (and a 304 when nothing changed).
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import operator
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Event, Timezone, vDDDTypes

from modules.academics.models import CalendarEvent, CalendarEventKind, Enrollment, EnrollmentStatus, Term
from modules.accounts.models import Role
from modules.core.audit import audit_log
from modules.core.secrets import secret_hash
from modules.people.models import Staff, Student
from modules.timetable import selectors
from modules.timetable.models import CalendarFeed, Cover, Lesson, Timetable, TimetableStatus

FEED_PAST = datetime.timedelta(days=14)
FEED_AHEAD = datetime.timedelta(days=200)
FEED_CACHE_SECONDS = 15 * 60
PRODID = "-//StudentFlow//Timetable//EN"
# The kinds of day with no lessons: CalendarEvent.objects.closures(), for days already read.
CLOSED_KINDS = frozenset({CalendarEventKind.HOLIDAY, CalendarEventKind.CLOSURE})


@dataclass(frozen=True)
class FeedEvent:
    """One event of a feed. `start`/`end` are dates for an all-day event (end exclusive), else aware
    datetimes; an `end` equal to `start` is a moment (a due time), written without DTEND."""

    uid: str
    summary: str
    start: datetime.date | datetime.datetime
    end: datetime.date | datetime.datetime
    all_day: bool = False
    location: str = ""
    description: str = ""
    # A weekly event: it repeats every week up to this day, but not at `exdates` (its starts left out).
    weekly_until: datetime.date | None = None
    exdates: tuple[datetime.datetime, ...] = ()
    # One occurrence of a weekly event told differently (the same uid): its start as first planned.
    recurrence_id: datetime.datetime | None = None


FeedSource = Callable[[object, datetime.date, datetime.date], Iterable[FeedEvent]]
_sources: list[FeedSource] = []


def feed_source_register(source: FeedSource) -> None:
    """Add a source of events (`source(user, start, end)`, dates inclusive); added once however often. A
    source asks whom the feed is for with `feed_students` and `feed_staff`, read once for the whole feed."""
    if source not in _sources:
        _sources.append(source)


def school_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def feed_window(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    return today - FEED_PAST, today + FEED_AHEAD


# The address ---------------------------------------------------------------------------------------------


@transaction.atomic
def calendar_feed_make(*, user) -> str:
    """A new address for the user's feed (the old one, if any, stops working). Returns the token: it is
    never stored, so the caller shows it once."""
    token = secrets.token_urlsafe(32)
    replaced = CalendarFeed.objects.filter(user=user).delete()[0] > 0
    feed = CalendarFeed.objects.create(user=user, token_hash=secret_hash(token))
    audit_log(actor=user, action="timetable.feed_make", obj=feed, after={"replaced": replaced})
    return token


@transaction.atomic
def calendar_feed_revoke(*, user) -> bool:
    feed = CalendarFeed.objects.filter(user=user).first()
    if feed is None:
        return False
    audit_log(actor=user, action="timetable.feed_revoke", obj=feed)
    feed.delete()
    return True


def feed_for_token(token: str) -> CalendarFeed | None:
    if not token or len(token) > 100:
        return None
    # The user's profiles with it: their roles and whose feed it is then cost no query.
    return (
        CalendarFeed.objects.filter(token_hash=secret_hash(token), user__is_active=True)
        .select_related("user__staff_profile", "user__guardian_profile", "user__student_profile")
        .first()
    )


# The events ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedStudent:
    """A student whose lessons, exams and homework a feed shows: its owner, or one of their children (whose
    events start with the child's name), with the sections they are actively enrolled in."""

    student: Student
    child: bool
    sections: frozenset[int]

    @property
    def prefix(self) -> str:
        return f"{self.student.first_name}: " if self.child else ""


def feed_staff(user) -> Staff | None:
    """The teacher whose lessons a feed shows (None for a login that does not teach)."""
    if Role.TEACHER not in user.roles:
        return None
    try:
        return user.staff_profile
    except Staff.DoesNotExist:
        return None


def feed_students(user) -> list[FeedStudent]:
    """The students a feed shows: the user if a student, then each child if a guardian (eldest first). Read
    once per feed (`feed_events`) and shared by its lessons and every source (exams, homework)."""
    known = user.__dict__.get("_feed_students")
    if known is not None:
        return known
    students: list[tuple[Student, bool]] = []
    if Role.STUDENT in user.roles:
        students.append((user.student_profile, False))
    if Role.GUARDIAN in user.roles:
        students += [
            (student, True)
            for student in Student.objects.filter(guardian_links__guardian__user=user)
            .distinct()
            .order_by("date_of_birth", "first_name")
        ]
    sections: dict[int, set[int]] = {}
    if students:
        for student_id, section_id in Enrollment.objects.filter(
            student__in=[student for student, _child in students], status=EnrollmentStatus.ACTIVE
        ).values_list("student_id", "section_id"):
            sections.setdefault(student_id, set()).add(section_id)
    return [
        FeedStudent(student=student, child=child, sections=frozenset(sections.get(student.pk, ())))
        for student, child in students
    ]


def _closed_days(
    calendar: Iterable[CalendarEvent], start: datetime.date, end: datetime.date
) -> set[datetime.date]:
    """Holidays and closures within [start, end], among the calendar's days."""
    closed: set[datetime.date] = set()
    for event in calendar:
        if event.kind not in CLOSED_KINDS:
            continue
        first, last = event.start_date, event.end_date
        day = max(first, start)
        while day <= min(last, end):
            closed.add(day)
            day += datetime.timedelta(days=1)
    return closed


def _runs(
    timetables, start: datetime.date, end: datetime.date
) -> tuple[list[tuple[Timetable, datetime.date, datetime.date]], set[datetime.date]]:
    """Each timetable's stretch of days within [start, end] (from its first term day to its last, inside
    its effective dates and its year), and the days of the window outside every term (left out of the
    weekly events like holidays: one event a lesson spans the break between two terms)."""
    terms = selectors.school_frame(
        f"terms:{start:%Y%m%d}:{end:%Y%m%d}",
        lambda: list(
            Term.objects.filter(start_date__lte=end, end_date__gte=start).values_list(
                "year_id", "start_date", "end_date"
            )
        ),
    )
    runs = []
    for timetable in timetables:
        year = timetable.year
        mine = [(first, last) for year_id, first, last in terms if year_id == year.pk]
        if not mine:
            continue
        first = max(
            filter(None, [start, min(f for f, _l in mine), year.start_date, timetable.effective_from])
        )
        last = min(
            filter(
                None, [end, max(last_day for _f, last_day in mine), year.end_date, timetable.effective_until]
            )
        )
        if first <= last:
            runs.append((timetable, first, last))
    outside = set()
    day = start
    while day <= end:
        if not any(first <= day <= last for _y, first, last in terms):
            outside.add(day)
        day += datetime.timedelta(days=1)
    return runs, outside


@dataclass
class _Scope:
    select: Q
    key: str
    prefix: str = ""
    teacher: Staff | None = None
    sections: frozenset[int] = frozenset()

    def holds(self, lesson: Lesson, teachers: list[Staff]) -> bool:
        """Whether the lesson is the scope's (`teachers`: the lesson's teacher and co-teachers)."""
        if self.teacher is not None:
            return any(teacher.pk == self.teacher.pk for teacher in teachers)
        return lesson.offering.section_id in self.sections


def _scopes(user) -> list[_Scope]:
    scopes: list[_Scope] = []
    staff = feed_staff(user)
    if staff is not None:
        scopes.append(_Scope(select=selectors.teacher_lessons(staff), key="t", teacher=staff))
    for one in feed_students(user):
        if one.sections:
            scopes.append(
                _Scope(
                    select=Q(offering__section_id__in=one.sections),
                    sections=one.sections,
                    key=f"s{one.student.pk}",
                    prefix=one.prefix,
                )
            )
    return scopes


def lesson_events(
    user, start: datetime.date, end: datetime.date, *, closed_days: set[datetime.date] | None = None
) -> list[FeedEvent]:
    """The user's lessons within [start, end]: each lesson a weekly event over each term (and the dates its
    timetable is in effect), less the holidays and closures on its weekday (`closed_days` when the caller
    has read the calendar), and for a teacher less the dates someone else covers it; a lesson they cover
    is an event of its own, and for a family a covered lesson's occurrence says who covers it."""
    scopes = _scopes(user)
    if not scopes:
        return []
    timetables = list(
        Timetable.objects.filter(
            Q(effective_from__isnull=True) | Q(effective_from__lte=end),
            Q(effective_until__isnull=True) | Q(effective_until__gte=start),
            status=TimetableStatus.PUBLISHED,
            year__start_date__lte=end,
            year__end_date__gte=start,
        ).select_related("year")
    )
    runs, outside = _runs(timetables, start, end)
    if not runs:
        return []
    if closed_days is None:
        closed_days = _closed_days(
            CalendarEvent.objects.closures().filter(start_date__lte=end, end_date__gte=start), start, end
        )
    closed = closed_days | outside
    year = timetables[0].year
    periods = selectors.school_frame(f"periods:{year.pk}", lambda: selectors.teaching_periods(year))
    following = {period.pk: periods[index + 1] for index, period in enumerate(periods[:-1])}
    zone = school_zone()
    events: list[FeedEvent] = []
    # Every scope (the teacher's, the student's, each child's) shares one read of the lessons and one of
    # their covers (with the lessons the teacher covers), shared out below.
    every = selectors.lessons_with_teachers(
        selectors.of_timetables(
            Lesson.objects.filter(functools.reduce(operator.or_, (scope.select for scope in scopes))),
            [t.pk for t in timetables],
        ).order_by()
    )
    placed = [(lesson, selectors.lesson_teachers(lesson)) for lesson in every if lesson.weekday is not None]
    teacher = next((scope.teacher for scope in scopes if scope.teacher is not None), None)
    which = Q(lesson__in=[lesson.pk for lesson, _teachers in placed])
    cover_query = Cover.objects.filter(date__range=(start, end)).select_related("teacher", "absence__staff")
    if teacher is not None:
        which |= Q(teacher=teacher)
        cover_query = cover_query.select_related(
            "lesson__offering__subject",
            "lesson__offering__section",
            "lesson__teacher",
            "lesson__room",
            "lesson__period",
        )
    covers = list(cover_query.filter(which).order_by())
    covered = {(cover.lesson_id, cover.date): cover for cover in covers}
    for scope in scopes:
        lessons = [lesson for lesson, teachers in placed if scope.holds(lesson, teachers)]
        by_timetable: dict[int, list[Lesson]] = {}
        for lesson in lessons:
            by_timetable.setdefault(lesson.timetable_id, []).append(lesson)
        for timetable, first_day, last_day in runs:
            for lesson in by_timetable.get(timetable.pk, []):
                events += _weekly(lesson, first_day, last_day, scope, closed, covered, following, zone)
        if scope.teacher is not None:
            own = {lesson.pk for lesson in lessons}
            in_term = [(first, last) for _t, first, last in runs]
            for cover in covers:
                if (
                    cover.teacher_id == scope.teacher.pk
                    and cover.lesson_id not in own
                    and cover.date not in closed
                    and any(first <= cover.date <= last for first, last in in_term)
                ):
                    lesson = cover.lesson
                    selectors.shown(lesson, teachers=[lesson.teacher] if lesson.teacher else [])
                    events.append(_cover_event(lesson, cover, scope, following, zone))
    return events


def _times(lesson, day: datetime.date, following, zone) -> tuple[datetime.datetime, datetime.datetime]:
    ends = lesson.period.end_time
    if lesson.length == 2 and lesson.period_id in following:
        ends = following[lesson.period_id].end_time
    return (
        datetime.datetime.combine(day, lesson.period.start_time, tzinfo=zone),
        datetime.datetime.combine(day, ends, tzinfo=zone),
    )


def _summary(lesson, scope: _Scope) -> str:
    subject = lesson.offering.subject.name
    if scope.teacher is not None:
        return f"{subject} · {lesson.offering.section.name}"
    return f"{scope.prefix}{subject}"


def _weekly(lesson, first_day, last_day, scope: _Scope, closed, covered, following, zone) -> list[FeedEvent]:
    first = first_day + datetime.timedelta(days=(lesson.weekday - first_day.weekday()) % 7)
    if first > last_day:
        return []
    last = last_day - datetime.timedelta(days=(last_day.weekday() - lesson.weekday) % 7)
    occurrences = (last - first).days // 7 + 1
    skipped: list[datetime.date] = []
    overrides: list[tuple[datetime.date, Cover]] = []
    day = first
    while day <= last:
        cover = covered.get((lesson.pk, day))
        if day in closed:
            skipped.append(day)
        elif cover is not None and (scope.teacher is None or cover.teacher_id != scope.teacher.pk):
            if scope.teacher is None:
                overrides.append((day, cover))
            elif selectors.co_teacher_away(cover, lesson, owner=scope.teacher) is None:
                skipped.append(day)
            # else a co-teacher of theirs is covered: they teach it as usual (as selectors.teacher_lessons_on)
        day += datetime.timedelta(days=7)
    if len(skipped) == occurrences:
        return []
    starts, ends = _times(lesson, first, following, zone)
    uid = f"lesson-{lesson.pk}-{first:%Y%m%d}-{scope.key}"
    teachers = ", ".join(teacher.full_name for teacher in lesson.teachers)
    location = lesson.room.name if lesson.room else ""
    events = [
        FeedEvent(
            uid=uid,
            summary=_summary(lesson, scope),
            start=starts,
            end=ends,
            location=location,
            description=teachers,
            weekly_until=last,
            exdates=tuple(_times(lesson, day, following, zone)[0] for day in skipped),
        )
    ]
    for day, cover in overrides:
        starts, ends = _times(lesson, day, following, zone)
        events.append(
            FeedEvent(
                uid=uid,
                summary=_summary(lesson, scope),
                start=starts,
                end=ends,
                location=location,
                description=_covered(lesson, cover),
                recurrence_id=starts,
            )
        )
    return events


def _covered(lesson, cover: Cover) -> str:
    """A family's covered occurrence, in the week pages' words: a co-teacher's cover leaves the lesson with
    its teacher (selectors.co_teacher_away)."""
    away = selectors.co_teacher_away(cover, lesson)
    if away is not None:
        return _("Co-teacher %(absent)s covered by %(name)s") % {
            "absent": away.full_name,
            "name": cover.teacher.full_name,
        }
    return _("Covered by %(name)s") % {"name": cover.teacher.full_name}


def _cover_event(lesson, cover: Cover, scope: _Scope, following, zone) -> FeedEvent:
    starts, ends = _times(lesson, cover.date, following, zone)
    # Whom the teacher stands in for: the lesson's own teacher or an absent co-teacher.
    description = _("Cover for %(name)s") % {"name": cover.absence.staff.full_name}
    return FeedEvent(
        uid=f"cover-{cover.pk}-{scope.key}",
        summary=_("Cover: %(lesson)s") % {"lesson": _summary(lesson, scope)},
        start=starts,
        end=ends,
        location=lesson.room.name if lesson.room else "",
        description=description,
    )


def calendar_events(
    start: datetime.date, end: datetime.date, calendar: Iterable[CalendarEvent] | None = None
) -> list[FeedEvent]:
    """The school calendar's days (holidays, closures, events) as all-day events (`calendar`: the days of
    [start, end] when the caller has read them)."""
    if calendar is None:
        calendar = CalendarEvent.objects.filter(start_date__lte=end, end_date__gte=start)
    return [
        FeedEvent(
            uid=f"calendar-{event.pk}",
            summary=event.name,
            start=event.start_date,
            end=event.end_date + datetime.timedelta(days=1),
            all_day=True,
            description=str(event.get_kind_display()),
        )
        for event in calendar
    ]


def feed_events(user, start: datetime.date, end: datetime.date) -> list[FeedEvent]:
    # One read of the school calendar (its days and the closures lessons skip; kept for everyone's feeds in
    # the school's frame, modules/timetable/selectors.py) and of the feed's students, kept on the user while
    # the sources run (feed_students).
    calendar = selectors.school_frame(
        f"calendar:{start:%Y%m%d}:{end:%Y%m%d}",
        lambda: list(CalendarEvent.objects.filter(start_date__lte=end, end_date__gte=start)),
    )
    user.__dict__["_feed_students"] = feed_students(user)
    try:
        events = lesson_events(user, start, end, closed_days=_closed_days(calendar, start, end))
        events += calendar_events(start, end, calendar)
        for source in _sources:
            events.extend(source(user, start, end))
    finally:
        del user.__dict__["_feed_students"]
    return events


def feed_ics(user, *, today: datetime.date | None = None) -> bytes:
    """The user's whole feed as iCalendar bytes, in their language."""
    today = today or timezone.localdate()
    start, end = feed_window(today)
    with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
        events = feed_events(user, start, end)
        name = _("School timetable")
    zone_name = settings.TIME_ZONE
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:" + _text(PRODID),
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:" + _text(name),
        "X-WR-TIMEZONE:" + _text(zone_name),
    ]
    head = _lines_ical(lines)
    if zone_name not in ("UTC", "Etc/UTC"):
        # The zone's rules over the window's years only (icalendar's default runs 1970-2038: 10 KB a feed).
        head += _vtimezone(zone_name, start.year - 1, end.year + 2)
    # A stable stamp (the day the window starts from): the same data gives the same bytes, hence the ETag.
    stamp = "DTSTAMP:" + _utc(datetime.datetime.combine(today, datetime.time(), tzinfo=datetime.UTC))
    lines = []
    seen: set[tuple[str, object]] = set()
    for item in sorted(events, key=_event_order):
        uid = f"{item.uid}@studentflow"
        if (uid, item.recurrence_id) in seen:
            continue
        seen.add((uid, item.recurrence_id))
        lines += _event_lines(item, uid, stamp)
    lines.append("END:VCALENDAR")
    return head + _lines_ical(lines)


# Writing iCalendar ---------------------------------------------------------------------------------------
# What icalendar's Calendar.to_ical() writes for the events above, byte for byte (its property order, TEXT
# escaping and 75-octet folding), without building a Component per property: that took most of a feed's
# build. The zone's VTIMEZONE and how a zone's times are written (TZID or UTC) are still icalendar's.


def _event_lines(item: FeedEvent, uid: str, stamp: str) -> list[str]:
    # icalendar's order for a VEVENT: its canonical properties first, then the others alphabetically.
    lines = ["BEGIN:VEVENT", "SUMMARY:" + _text(item.summary), "DTSTART" + _when(item.start)]
    if item.end != item.start:
        lines.append("DTEND" + _when(item.end))
    lines += [stamp, "UID:" + _text(uid)]
    if item.recurrence_id is not None:
        lines.append("RECURRENCE-ID" + _when(item.recurrence_id))
    if item.weekly_until is not None:
        # UNTIL is in UTC when DTSTART has a zone (RFC 5545 3.3.10): the last occurrence's start.
        assert isinstance(item.start, datetime.datetime)  # a weekly lesson starts at a time of day
        last = datetime.datetime.combine(item.weekly_until, item.start.timetz())
        lines.append("RRULE:FREQ=WEEKLY;UNTIL=" + _utc(last.astimezone(datetime.UTC)))
        if item.exdates:
            params, utc = _zone_form(item.exdates[0].tzinfo)
            suffix = "Z" if utc else ""
            lines.append(
                "EXDATE" + params + ":" + ",".join(_stamp(moment) + suffix for moment in item.exdates)
            )
    if item.description:
        lines.append("DESCRIPTION:" + _text(item.description))
    if item.location:
        lines.append("LOCATION:" + _text(item.location))
    lines.append("END:VEVENT")
    return lines


def _text(value: str) -> str:
    """A TEXT value escaped as RFC 5545 3.3.11 (and icalendar) has it."""
    return (
        value.replace(r"\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", r"\;")
        .replace(",", r"\,")
        .replace("\r\n", r"\n")
        .replace("\n", r"\n")
        .replace("\r", r"\n")
    )


def _stamp(moment: datetime.datetime) -> str:
    day = f"{moment.year:04}{moment.month:02}{moment.day:02}"
    return f"{day}T{moment.hour:02}{moment.minute:02}{moment.second:02}"


def _utc(moment: datetime.datetime) -> str:
    return _stamp(moment) + "Z"


def _when(value: datetime.date | datetime.datetime) -> str:
    """A DTSTART-like property's parameters and value: `;VALUE=DATE:20270104`, `;TZID=Europe/Madrid:...`
    or `:...Z`."""
    if not isinstance(value, datetime.datetime):
        return f";VALUE=DATE:{value.year:04}{value.month:02}{value.day:02}"
    params, utc = _zone_form(value.tzinfo)
    return params + ":" + _stamp(value) + ("Z" if utc else "")


@functools.cache
def _zone_form(zone: datetime.tzinfo | None) -> tuple[str, bool]:
    """How icalendar writes a time in `zone`: its parameters (`;TZID=...`, or none) and whether in UTC."""
    sample = datetime.datetime(2000, 1, 1, tzinfo=zone)
    line = Event().content_line("DTSTART", vDDDTypes(sample)).to_ical().decode()
    params = line.split(":", 1)[0].removeprefix("DTSTART")
    return params, line.endswith("Z")


@functools.cache
def _vtimezone(zone_name: str, first_year: int, last_year: int) -> bytes:
    return Timezone.from_tzid(
        zone_name, first_date=datetime.date(first_year, 1, 1), last_date=datetime.date(last_year, 1, 1)
    ).to_ical()


def _lines_ical(lines: list[str]) -> bytes:
    return ("\r\n".join(map(_fold, lines)) + "\r\n").encode()


def _fold(line: str) -> str:
    """A content line folded at 75 octets as icalendar folds it (never splitting a backslash escape)."""
    if len(line) < 75 and line.isascii():
        return line
    folded: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        char_size = len(char.encode())
        if current and size + char_size >= 75:
            if len(current) > 1 and current[-1] in "\\^":
                carried = current.pop()
                folded.append("".join(current))
                current = [carried]
                size = len(carried.encode())
            else:
                folded.append("".join(current))
                current = []
                size = 0
        current.append(char)
        size += char_size
    if current:
        folded.append("".join(current))
    return "\r\n ".join(folded)


def _event_order(item: FeedEvent) -> tuple:
    start = item.start
    if not isinstance(start, datetime.datetime):
        start = datetime.datetime.combine(start, datetime.time(), tzinfo=school_zone())
    # A weekly event before the occurrences that override it.
    return (item.uid, item.recurrence_id is not None, start)


def feed_cache_key(feed: CalendarFeed, today: datetime.date) -> str:
    return f"timetable:feed:{feed.pk}:{feed.token_hash[:16]}:{today:%Y%m%d}"


def feed_cached(feed: CalendarFeed) -> tuple[bytes, str]:
    """The feed's bytes and ETag, built at most once per FEED_CACHE_SECONDS (and per day)."""
    today = timezone.localdate()
    key = feed_cache_key(feed, today)
    cached = cache.get(key)
    if cached is None:
        body = feed_ics(feed.user, today=today)
        cached = (body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
        cache.set(key, cached, FEED_CACHE_SECONDS)
    now = timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at > datetime.timedelta(hours=1):
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    return cached
