"""The REST API on the large school: a page of 100 students read with the office's token (the whole school
in its scope), the same page read again with its ETag (304: nothing sent), and a program syncing a day's
attendance (the marks changed in the last hour of a school day, then the whole day, page after page).
A fresh token each run of the bench (the previous one revoked), as a program holding one would call."""

from __future__ import annotations

from bench.registry import measure
from modules.accounts import demo

PAGE_BUDGET_MS = 30


def _office_token(bench) -> str:
    from modules.api.models import ApiToken
    from modules.api.tokens import token_create, token_revoke

    user = bench.user(demo.ADMIN_EMAIL)
    for old in ApiToken.objects.filter(user=user, name="bench", revoked_at__isnull=True):
        token_revoke(token=old, by=user)
    return token_create(user=user, name="bench", scopes=["roster:read", "attendance:read"], days=30).secret


def _settings_for_many_calls(bench) -> None:
    from django.conf import settings

    # The bench calls far faster than any program is allowed to: its token is not throttled here.
    settings.STUDENTFLOW_RATE_LIMITS = {**settings.STUDENTFLOW_RATE_LIMITS, "api": ""}


@measure(
    "api: a page of 100 students (office token)",
    budget_ms=PAGE_BUDGET_MS,
    budget_queries=4,
    runs=30,
    warmup=3,
)
def api_students_page(bench):
    from django.test import Client

    _settings_for_many_calls(bench)
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {_office_token(bench)}"}
    return lambda: bench.get(client, "/api/v1/students?page_size=100", **headers)


@measure(
    "api: the same page again, unchanged (If-None-Match: 304)", budget_ms=PAGE_BUDGET_MS, runs=30, warmup=3
)
def api_students_page_unchanged(bench):
    from django.test import Client

    _settings_for_many_calls(bench)
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {_office_token(bench)}"}
    etag = bench.get(client, "/api/v1/students?page_size=100", **headers).headers["ETag"]
    return lambda: bench.get(
        client, "/api/v1/students?page_size=100", expect=304, HTTP_IF_NONE_MATCH=etag, **headers
    )


SYNC_BUDGET_MS = 100
# A program's first read of a whole school day (every mark, ~10,000 on the large school), page after page.
DAY_BUDGET_MS = 400


def _day_pages(bench, *, last_hour: bool):
    """Reading the marks of the latest whole school day (before today, whose marks depend on the hour the
    bench school was made) with the office's token, following `next` to the end: all of them, or those
    changed in the day's last hour of marking (a program syncing hourly)."""
    import datetime

    from django.db.models import Max
    from django.test import Client
    from django.utils import timezone

    from modules.attendance.models import AttendanceRecord

    _settings_for_many_calls(bench)
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {_office_token(bench)}"}
    day = AttendanceRecord.objects.filter(date__lt=timezone.localdate()).aggregate(last=Max("date"))["last"]
    first = f"/api/v1/attendance-records?date={day.isoformat()}&page_size=500"
    if last_hour:
        last = AttendanceRecord.objects.filter(date=day).aggregate(last=Max("marked_at"))["last"]
        since = (last - datetime.timedelta(hours=1)).astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        first += f"&changed_since={since}"

    def read() -> None:
        url, seen = first, 0
        while url:
            page = bench.get(client, url, **headers).json()
            seen += len(page["results"])
            url = page["next"]
        if not seen:
            raise AssertionError(f"no marks on {day}")

    return read


@measure(
    "api: sync a day's attendance (marks changed in its last hour, pages of 500)",
    budget_ms=SYNC_BUDGET_MS,
    budget_queries=12,
    runs=20,
    warmup=2,
)
def api_attendance_day_sync(bench):
    return _day_pages(bench, last_hour=True)


@measure(
    "api: a whole school day's marks, first read (pages of 500)",
    budget_ms=DAY_BUDGET_MS,
    budget_queries=44,
    runs=10,
    warmup=1,
)
def api_attendance_day_whole(bench):
    return _day_pages(bench, last_hour=False)
