"""Everyone's week and the calendar feed on the large school: the student's and the teacher's week pages
(the grid and the phone's list of days, from the timetable in effect), and the teacher's and a guardian of
three's calendar feed built afresh (their lessons as weekly events over the term days of FEED_PAST +
FEED_AHEAD, less holidays; the school calendar, exams and homework). The cache that serves a calendar's
later polls is emptied before each run: this is the cost of a feed nobody read in the last quarter hour.

The week pages read the published timetable in effect. Until the demo generates one
(modules/timetable/demo.py), the large school has no Lesson rows; then this setup states one from the
demo's classes: each section's classes in turn over its teaching week (every period of every teaching
day), in the section's room, under a timetable named BENCH_TIMETABLE, published from the year's start. It
is made once and kept; when any other timetable is in effect today, that one is measured instead.
"""

from __future__ import annotations

from django.core.cache import cache
from django.utils import timezone

from bench.measures.exams_gradebook import with_cpu_time
from bench.registry import measure
from modules.accounts import demo

WEEK_BUDGET_MS = 40
FEED_BUDGET_MS = 100
BENCH_TIMETABLE = "Bench: stated from the demo's classes"


def ensure_timetable() -> None:
    from modules.academics.models import AcademicYear, Section
    from modules.timetable.models import Lesson, Timetable, TimetableStatus
    from modules.timetable.selectors import teaching_periods, teaching_weekdays

    today = timezone.localdate()
    if Timetable.objects.in_effect_on(today).exists():
        return
    year = AcademicYear.objects.current()
    if year is None:
        raise RuntimeError("The bench school has no current year.")
    timetable = Timetable.objects.create(
        year=year, name=BENCH_TIMETABLE, status=TimetableStatus.PUBLISHED, effective_from=year.start_date
    )
    slots = [(day, period) for day in teaching_weekdays(year) for period in teaching_periods(year)]
    lessons = []
    for section in Section.objects.filter(year=year).prefetch_related("offerings"):
        offerings = sorted(section.offerings.all(), key=lambda offering: offering.pk)
        if not offerings:
            continue
        for index, (day, period) in enumerate(slots):
            offering = offerings[index % len(offerings)]
            lessons.append(
                Lesson(
                    timetable=timetable,
                    offering=offering,
                    teacher_id=offering.teacher_id,
                    weekday=day,
                    period=period,
                    room_id=section.room_id,
                )
            )
    Lesson.objects.bulk_create(lessons, batch_size=2000)


def _week(email: str):
    def setup(bench):
        ensure_timetable()
        client = bench.client_for(email)
        return with_cpu_time(lambda: bench.get(client, "/timetable/week/mine/"), "Week page:")

    return setup


def _feed(email: str):
    def setup(bench):
        from modules.timetable import feeds

        ensure_timetable()
        user = bench.user(email)
        token = feeds.calendar_feed_make(user=user)
        feed = feeds.feed_for_token(token)
        from django.test import Client

        client = Client()  # no login: the token is the key
        key = feeds.feed_cache_key(feed, timezone.localdate())

        def run():
            cache.delete(key)
            return bench.get(client, f"/timetable/feed/{token}.ics")

        return with_cpu_time(run, "Feed built afresh:")

    return setup


def _feed_served(email: str):
    """A calendar's poll: the feed as served from the cache (what every poll but one a quarter hour costs)."""

    def setup(bench):
        from django.test import Client

        from modules.timetable import feeds

        ensure_timetable()
        token = feeds.calendar_feed_make(user=bench.user(email))
        client = Client()
        bench.get(client, f"/timetable/feed/{token}.ics")
        return lambda: bench.get(client, f"/timetable/feed/{token}.ics")

    return setup


WEEK = {"budget_ms": WEEK_BUDGET_MS, "budget_queries": 8}
FEED = {"budget_ms": FEED_BUDGET_MS, "runs": 10}
measure("timetable: student's week", **WEEK)(_week(demo.STUDENT_EMAIL))
measure("timetable: teacher's week", **WEEK)(_week(demo.TEACHER_EMAIL))
measure("timetable: teacher's calendar feed, built", budget_queries=12, **FEED)(_feed(demo.TEACHER_EMAIL))
measure("timetable: guardian's calendar feed (3 children), built", budget_queries=12, **FEED)(
    _feed(demo.PARENT_EMAIL)
)
measure("timetable: teacher's calendar feed, served", budget_ms=FEED_BUDGET_MS, budget_queries=4)(
    _feed_served(demo.TEACHER_EMAIL)
)
