"""Personal calendar feeds (iCalendar, RFC 5545): Google Calendar, Outlook and Apple Calendar subscribe.

A feed holds, for its owner: their lessons (a student's section's, each child's for a guardian, a teacher's
own and the ones they cover) expanded day by day over the term dates, leaving out holidays and closures;
the school calendar's days; and what higher modules add through sources registered in their
`AppConfig.ready()` with `feed_source_register` (exams: exam sittings; assignments: due dates), since this
module may not import them. Times are in the school's zone (settings.TIME_ZONE), with its VTIMEZONE.

The address carries a random token; only its SHA-256 is stored (`CalendarFeed`), so the address is shown
once when made, and making a new one or revoking it ends the old one. Bounded: FEED_PAST days back and
FEED_AHEAD days ahead of today, and a built feed is kept for FEED_CACHE_SECONDS, so a calendar polling it
costs a cache read (and a 304 when nothing changed).
"""

from __future__ import annotations

import datetime
import hashlib
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
from icalendar import Calendar, Event

from modules.academics.models import CalendarEvent, Enrollment, EnrollmentStatus, Term
from modules.accounts.models import Role
from modules.core.audit import audit_log
from modules.people.models import Staff, Student
from modules.timetable import selectors
from modules.timetable.models import CalendarFeed, Cover, Lesson, Timetable, TimetableStatus

FEED_PAST = datetime.timedelta(days=14)
FEED_AHEAD = datetime.timedelta(days=120)
FEED_CACHE_SECONDS = 15 * 60
PRODID = "-//StudentFlow//Timetable//EN"


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


FeedSource = Callable[[object, datetime.date, datetime.date], Iterable[FeedEvent]]
_sources: list[FeedSource] = []


def feed_source_register(source: FeedSource) -> None:
    """Add a source of events (`source(user, start, end)`, dates inclusive); added once however often."""
    if source not in _sources:
        _sources.append(source)


def school_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def feed_window(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    return today - FEED_PAST, today + FEED_AHEAD


# The address ---------------------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_make(*, user) -> str:
    """A new address for the user's feed (the old one, if any, stops working). Returns the token: it is
    never stored, so the caller shows it once."""
    token = secrets.token_urlsafe(32)
    replaced = CalendarFeed.objects.filter(user=user).delete()[0] > 0
    feed = CalendarFeed.objects.create(user=user, token_hash=token_hash(token))
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
    return (
        CalendarFeed.objects.filter(token_hash=token_hash(token), user__is_active=True)
        .select_related("user")
        .first()
    )


# The events ----------------------------------------------------------------------------------------------


def _school_days(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """Days in a term within [start, end] that are not a holiday or closure."""
    terms = list(
        Term.objects.filter(start_date__lte=end, end_date__gte=start).values_list("start_date", "end_date")
    )
    closed: set[datetime.date] = set()
    for first, last in (
        CalendarEvent.objects.closures()
        .filter(start_date__lte=end, end_date__gte=start)
        .values_list("start_date", "end_date")
    ):
        day = max(first, start)
        while day <= min(last, end):
            closed.add(day)
            day += datetime.timedelta(days=1)
    days = []
    day = start
    while day <= end:
        if day not in closed and any(first <= day <= last for first, last in terms):
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


@dataclass
class _Scope:
    select: Q
    key: str
    prefix: str = ""
    teacher: Staff | None = None


def _scopes(user) -> list[_Scope]:
    roles = user.roles
    scopes: list[_Scope] = []
    if Role.TEACHER in roles:
        staff = Staff.objects.filter(user=user).first()
        if staff is not None:
            select = Q(teacher=staff) | Q(offering__timetable_requirement__co_teachers=staff)
            scopes.append(_Scope(select=select, key="t", teacher=staff))
    students: list[tuple[Student, bool]] = []
    if Role.STUDENT in roles:
        students += [(student, False) for student in Student.objects.filter(user=user)]
    if Role.GUARDIAN in roles:
        students += [
            (student, True)
            for student in Student.objects.filter(guardian_links__guardian__user=user)
            .distinct()
            .order_by("date_of_birth", "first_name")
        ]
    if students:
        sections: dict[int, set[int]] = {}
        for student_id, section_id in Enrollment.objects.filter(
            student__in=[student for student, _child in students], status=EnrollmentStatus.ACTIVE
        ).values_list("student_id", "section_id"):
            sections.setdefault(student_id, set()).add(section_id)
        for student, child in students:
            if sections.get(student.pk):
                scopes.append(
                    _Scope(
                        select=Q(offering__section_id__in=sections[student.pk]),
                        key=f"s{student.pk}",
                        prefix=f"{student.first_name}: " if child else "",
                    )
                )
    return scopes


def lesson_events(user, start: datetime.date, end: datetime.date) -> list[FeedEvent]:
    """The user's lessons on each school day of [start, end], from the timetable in effect that day."""
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
    if not timetables:
        return []
    days = _school_days(start, end)
    periods = selectors.teaching_periods(timetables[0].year)
    zone = school_zone()
    events: list[FeedEvent] = []
    for scope in scopes:
        lessons = list(
            selectors.lessons_with_names(
                Lesson.objects.placed().filter(scope.select, timetable__in=timetables)
            ).distinct()
        )
        cover_filter = Q(lesson__in=lessons)
        if scope.teacher is not None:
            cover_filter |= Q(teacher=scope.teacher)
        covers = {
            (cover.lesson_id, cover.date): cover
            for cover in Cover.objects.filter(cover_filter, date__range=(start, end)).select_related(
                "teacher",
                "lesson__offering__subject",
                "lesson__offering__section",
                "lesson__teacher",
                "lesson__room",
                "lesson__period",
            )
        }
        by_weekday: dict[int, list[Lesson]] = {}
        for lesson in lessons:
            lesson.teachers = selectors.lesson_teachers(lesson)
            by_weekday.setdefault(lesson.weekday, []).append(lesson)
        open_days = set(days)
        for day in days:
            in_effect = {t.pk for t in timetables if selectors.timetable_holds(t, day)}
            for lesson in by_weekday.get(day.weekday(), []):
                if lesson.timetable_id not in in_effect:
                    continue
                cover = covers.get((lesson.pk, day))
                if scope.teacher is not None and cover is not None and cover.teacher_id != scope.teacher.pk:
                    continue
                events.append(_lesson_event(lesson, day, scope, cover, periods, zone))
        if scope.teacher is not None:
            own = {lesson.pk for lesson in lessons}
            for (lesson_id, day), cover in covers.items():
                if cover.teacher_id == scope.teacher.pk and lesson_id not in own and day in open_days:
                    lesson = cover.lesson
                    lesson.teachers = [lesson.teacher] if lesson.teacher else []
                    events.append(_lesson_event(lesson, day, scope, cover, periods, zone, covering=True))
    return events


def _lesson_event(lesson, day, scope: _Scope, cover, periods, zone, covering: bool = False) -> FeedEvent:
    ends = lesson.period.end_time
    if lesson.length == 2:
        ids = [period.pk for period in periods]
        if lesson.period_id in ids and ids.index(lesson.period_id) + 1 < len(ids):
            ends = periods[ids.index(lesson.period_id) + 1].end_time
    subject = lesson.offering.subject.name
    if scope.teacher is not None:
        summary = f"{subject} · {lesson.offering.section.name}"
    else:
        summary = f"{scope.prefix}{subject}"
    if covering:
        summary = _("Cover: %(lesson)s") % {"lesson": summary}
    lines = [", ".join(teacher.full_name for teacher in lesson.teachers)] if lesson.teachers else []
    if cover is not None and not covering:
        lines.append(_("Covered by %(name)s") % {"name": cover.teacher.full_name})
    if covering and lesson.teacher is not None:
        lines.append(_("Cover for %(name)s") % {"name": lesson.teacher.full_name})
    return FeedEvent(
        uid=f"lesson-{lesson.pk}-{day:%Y%m%d}-{scope.key}",
        summary=summary,
        start=datetime.datetime.combine(day, lesson.period.start_time, tzinfo=zone),
        end=datetime.datetime.combine(day, ends, tzinfo=zone),
        location=lesson.room.name if lesson.room else "",
        description="\n".join(lines),
    )


def calendar_events(start: datetime.date, end: datetime.date) -> list[FeedEvent]:
    """The school calendar's days (holidays, closures, events) as all-day events."""
    return [
        FeedEvent(
            uid=f"calendar-{event.pk}",
            summary=event.name,
            start=event.start_date,
            end=event.end_date + datetime.timedelta(days=1),
            all_day=True,
            description=str(event.get_kind_display()),
        )
        for event in CalendarEvent.objects.filter(start_date__lte=end, end_date__gte=start)
    ]


def feed_events(user, start: datetime.date, end: datetime.date) -> list[FeedEvent]:
    events = lesson_events(user, start, end) + calendar_events(start, end)
    for source in _sources:
        events.extend(source(user, start, end))
    return events


def feed_ics(user, *, today: datetime.date | None = None) -> bytes:
    """The user's whole feed as iCalendar bytes, in their language."""
    today = today or timezone.localdate()
    start, end = feed_window(today)
    with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
        events = feed_events(user, start, end)
        name = _("School timetable")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    # A stable stamp (the day the window starts from): the same data gives the same bytes, hence the ETag.
    stamp = datetime.datetime.combine(today, datetime.time(), tzinfo=datetime.UTC)
    seen: set[str] = set()
    domain = "studentflow"
    for item in sorted(events, key=_event_order):
        uid = f"{item.uid}@{domain}"
        if uid in seen:
            continue
        seen.add(uid)
        event = Event()
        event.add("uid", uid)
        event.add("dtstamp", stamp)
        event.add("summary", item.summary)
        event.add("dtstart", item.start)
        if item.end != item.start:
            event.add("dtend", item.end)
        if item.location:
            event.add("location", item.location)
        if item.description:
            event.add("description", item.description)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _event_order(item: FeedEvent) -> tuple:
    start = item.start
    if not isinstance(start, datetime.datetime):
        start = datetime.datetime.combine(start, datetime.time(), tzinfo=school_zone())
    return (start, item.uid)


def feed_cached(feed: CalendarFeed) -> tuple[bytes, str]:
    """The feed's bytes and ETag, built at most once per FEED_CACHE_SECONDS (and per day)."""
    today = timezone.localdate()
    key = f"timetable:feed:{feed.pk}:{feed.token_hash[:16]}:{today:%Y%m%d}"
    cached = cache.get(key)
    if cached is None:
        body = feed_ics(feed.user, today=today)
        cached = (body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
        cache.set(key, cached, FEED_CACHE_SECONDS)
    now = timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at > datetime.timedelta(hours=1):
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    return cached
