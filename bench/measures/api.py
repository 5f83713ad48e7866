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


DEVICE_BATCH_BUDGET_MS = 2000


@measure(
    "api: a gate reader's batch of 1,000 check-ins (a morning's daily registers, none taken yet)",
    budget_ms=DEVICE_BATCH_BUDGET_MS,
    budget_queries=None,
    runs=10,
    warmup=1,
    note="Each run in a transaction rolled back, after the day's daily registers are emptied (not timed).",
)
def api_device_batch(bench):
    """1,000 students of the sections that take daily registers check in at the gate on the latest whole
    school day, as if no teacher had opened a register yet: every check-in makes its mark (the registers are
    made, the records written in bulk, each register counted once)."""
    import datetime
    import time

    from django.db import connection, transaction
    from django.db.models import Max
    from django.test import Client
    from django.utils import timezone

    from bench.registry import Elapsed
    from modules.academics.models import Enrollment, EnrollmentStatus
    from modules.attendance.devices import device_register
    from modules.attendance.models import AttendanceDevice, AttendancePolicy, AttendanceRecord
    from modules.people.models import Student

    _settings_for_many_calls(bench)
    user = bench.user(demo.ADMIN_EMAIL)
    AttendanceDevice.objects.filter(name="bench gate").update(revoked_at=timezone.now())
    key = device_register(by=user, name="bench gate").key
    day = AttendanceRecord.objects.filter(date__lt=timezone.localdate()).aggregate(last=Max("date"))["last"]
    modes = AttendancePolicy.load().modes
    students = [
        student_id
        for student_id, grade_id in Enrollment.objects.filter(
            status=EnrollmentStatus.ACTIVE, year__start_date__lte=day, year__end_date__gte=day
        )
        .order_by("student_id")
        .values_list("student_id", "section__grade_level_id")
        if modes.for_grade(grade_id) == "daily"
    ][:1000]
    for student_id in students:
        Student.objects.filter(pk=student_id, card_number="").update(card_number=f"BENCH{student_id}")
    if len(students) < 1000:
        raise AssertionError(f"only {len(students)} students take daily registers")
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    runs = iter(range(1_000_000))

    def batch() -> Elapsed:
        run = next(runs)
        morning = timezone.make_aware(datetime.datetime.combine(day, datetime.time(7, 30)))
        body = {
            "check_ins": [
                {
                    "id": f"run{run}-{number}",
                    "card": f"BENCH{student_id}",
                    "at": (morning + datetime.timedelta(seconds=number * 3)).isoformat(),
                }
                for number, student_id in enumerate(students)
            ]
        }
        with transaction.atomic():
            with connection.cursor() as cursor:
                daily = "SELECT id FROM attendance_register WHERE date = %s AND kind = 'daily'"
                cursor.execute(
                    f"DELETE FROM attendance_attendancerecord WHERE register_id IN ({daily})", [day]
                )
                cursor.execute(f"DELETE FROM attendance_registertally WHERE register_id IN ({daily})", [day])
                cursor.execute("DELETE FROM attendance_register WHERE date = %s AND kind = 'daily'", [day])
            started = time.perf_counter()
            response = client.post(
                "/api/v1/devices/check-ins", body, content_type="application/json", **headers
            )
            elapsed = time.perf_counter() - started
            outcomes = {row["outcome"] for row in response.json()["results"]}
            transaction.set_rollback(True)
        if response.status_code != 200 or outcomes != {"present"}:
            raise AssertionError(f"{response.status_code}: {outcomes}")
        return Elapsed(elapsed * 1000)

    return batch


ONEROSTER_PACKAGE_BUDGET_MS = 10_000


@measure(
    "oneroster: the CSV package of the large school (every file, guardians and demographics, zipped)",
    budget_ms=ONEROSTER_PACKAGE_BUDGET_MS,
    budget_queries=12,
    runs=5,
    warmup=1,
    note="The package's bytes as the queue's job makes them, before they are stored (one file write).",
)
def oneroster_package(bench):
    from modules.api.models import RosterSettings
    from modules.api.oneroster.package import options_current, package_build

    row = RosterSettings.load()
    row.guardians, row.demographics, row.year = True, True, None
    row.save()

    def build() -> None:
        built = package_build(options_current())
        if built.counts["enrollments"] < 1000:
            raise AssertionError(f"a small package: {built.counts}")

    return build


ONEROSTER_PAGE_BUDGET_MS = 400


@measure(
    "oneroster: a page of 100 enrollments from the rostering service (a program's token)",
    budget_ms=ONEROSTER_PAGE_BUDGET_MS,
    budget_queries=8,
    runs=20,
    warmup=2,
)
def oneroster_enrollments_page(bench):
    from django.test import Client

    from modules.api.scopes import ONEROSTER_ROSTER
    from modules.api.tokens import token_create

    _settings_for_many_calls(bench)
    user = bench.user(demo.ADMIN_EMAIL)
    secret = token_create(user=user, name="bench oneroster", scopes=[ONEROSTER_ROSTER], days=30).secret
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    url = "/ims/oneroster/rostering/v1p2/enrollments?limit=100&offset=5000"
    return lambda: bench.get(client, url, **headers)
