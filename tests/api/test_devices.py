"""Attendance readers through HTTP with a real reader key: check-ins mark the daily register (present, or
late after the policy's time), the earliest of the day stands whatever order they arrive in, the same batch
sent again records nothing new, a person's mark and a submitted register are never changed, unknown cards
and the rest are recorded and answered, never refused; 1,000 check-ins with duplicates, out of order, make
the right marks once."""

from __future__ import annotations

import datetime
import random

import pytest
from django.core.cache import cache
from django.utils import timezone

from modules.api.tokens import token_create
from modules.attendance.devices import device_register
from modules.attendance.models import (
    AttendancePolicy,
    AttendanceRecord,
    DeviceEvent,
    Register,
    RegisterState,
)
from modules.attendance.services import record_mark
from tests import factories as f

pytestmark = pytest.mark.django_db

URL = "/api/v1/devices/check-ins"


@pytest.fixture(autouse=True)
def _fresh_rates():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def day(weekday) -> datetime.date:
    """The school day before the latest: its whole morning has passed, whatever the hour the tests run."""
    back = 3 if weekday.weekday() == 0 else 1
    return weekday - datetime.timedelta(days=back)


@pytest.fixture
def gate(admin, weekday, school):
    school.child.card_number = "04A1B2"
    school.child.save()
    policy = AttendancePolicy.load()
    policy.late_after = datetime.time(8, 30)
    policy.save()
    return device_register(by=admin, name="Main gate", place="Front entrance")


def at(day: datetime.date, hour: int, minute: int = 0) -> str:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute))).isoformat()


def send(client, key: str, *check_ins: dict):
    return client.post(
        URL,
        {"check_ins": list(check_ins)},
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )


def outcomes(response) -> dict[str, str]:
    assert response.status_code == 200, response.content
    return {row["id"]: row["outcome"] for row in response.json()["results"]}


def test_a_check_in_marks_the_daily_register_present_or_late(client, gate, school, day):
    classmate = f.StudentFactory(first_name="Cleo", last_name="Classmate", card_number="99FF")
    f.EnrollmentFactory(student=classmate, section=school.section)
    answer = send(
        client,
        gate.key,
        {"id": "e1", "card": "04A1B2", "at": at(day, 8, 5)},
        {"id": "e2", "card": "99FF", "at": at(day, 8, 47)},
    )
    assert outcomes(answer) == {"e1": "present", "e2": "late"}
    register = Register.objects.get(section=school.section, date=day, kind="daily")
    assert register.state == RegisterState.IN_PROGRESS
    marks = {
        record.student_id: (record.status, record.late_minutes, record.source)
        for record in AttendanceRecord.objects.filter(register=register)
    }
    assert marks == {school.child.pk: ("present", None, "device"), classmate.pk: ("late", 17, "device")}


def test_the_earliest_check_in_stands_whatever_order_they_arrive_in(client, gate, school, day):
    assert outcomes(send(client, gate.key, {"id": "late", "card": "04A1B2", "at": at(day, 8, 50)})) == {
        "late": "late"
    }
    # The reader was offline: its earlier read of the morning arrives after.
    assert outcomes(send(client, gate.key, {"id": "early", "card": "04A1B2", "at": at(day, 8, 10)})) == {
        "early": "present"
    }
    assert outcomes(send(client, gate.key, {"id": "again", "card": "04A1B2", "at": at(day, 12, 0)})) == {
        "again": "earlier"
    }
    record = AttendanceRecord.objects.get(student=school.child)
    assert (record.status, record.late_minutes) == ("present", None)
    assert timezone.localtime(record.checked_in_at).time() == datetime.time(8, 10)


def test_the_same_batch_sent_again_records_nothing_new(client, gate, school, day):
    batch = [
        {"id": "e1", "card": "04A1B2", "at": at(day, 8, 0)},
        {"id": "e2", "card": "NOPE", "at": at(day, 8, 1)},
    ]
    first = outcomes(send(client, gate.key, *batch))
    assert first == {"e1": "present", "e2": "unknown_card"}
    assert outcomes(send(client, gate.key, *batch)) == first
    assert DeviceEvent.objects.count() == 2
    assert AttendanceRecord.objects.count() == 1


def test_a_person_s_mark_and_a_submitted_register_are_never_changed(client, gate, admin, school, day):
    register = f.RegisterFactory(section=school.section, date=day)
    record_mark(register=register, student_id=school.child.pk, status="absent", by=admin)
    answer = send(client, gate.key, {"id": "e1", "card": "04A1B2", "at": at(day, 8, 0)})
    assert outcomes(answer) == {"e1": "person_mark"}
    assert AttendanceRecord.objects.get(student=school.child).status == "absent"
    other = f.RegisterFactory(
        section=school.section, date=day - datetime.timedelta(days=7), state="submitted"
    )
    answer = send(client, gate.key, {"id": "e2", "card": "04A1B2", "at": at(other.date, 8, 0)})
    assert outcomes(answer) == {"e2": "submitted"}
    assert not AttendanceRecord.objects.filter(register=other).exists()


def test_a_person_s_change_of_a_reader_s_mark_is_theirs(client, gate, admin, school, day):
    send(client, gate.key, {"id": "e1", "card": "04A1B2", "at": at(day, 8, 40)})
    register = Register.objects.get(section=school.section, date=day)
    record_mark(register=register, student_id=school.child.pk, status="present", by=admin)
    answer = send(client, gate.key, {"id": "e2", "card": "04A1B2", "at": at(day, 7, 55)})
    assert outcomes(answer) == {"e2": "person_mark"}
    record = AttendanceRecord.objects.get(student=school.child)
    assert (record.status, record.source, record.marked_by) == ("present", "person", admin)


def test_bad_batches_are_refused_with_the_reason(client, gate, school, day, admin):
    too_many = [{"id": f"e{n}", "card": "04A1B2", "at": at(day, 8, 0)} for n in range(1001)]
    big = send(client, gate.key, *too_many)
    assert big.status_code == 413
    assert big.json()["code"] == "too_large"
    naive = send(client, gate.key, {"id": "e1", "card": "04A1B2", "at": "2026-12-04T08:00:00"})
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["field"] == "check_ins.0.at"
    nobody = send(client, gate.key, {"id": "e1", "at": at(day, 8, 0)})
    assert nobody.status_code == 422
    person = token_create(user=admin, name="Not a reader", scopes=["attendance:write"], days=30).secret
    assert send(client, person, {"id": "e1", "card": "04A1B2", "at": at(day, 8, 0)}).status_code == 401
    assert not DeviceEvent.objects.exists()


def test_a_thousand_check_ins_with_duplicates_out_of_order_make_the_right_marks_once(
    client, gate, school, day
):
    pupils = []
    for number in range(200):
        pupil = f.StudentFactory(first_name=f"P{number}", last_name="Many", card_number=f"C{number:04d}")
        f.EnrollmentFactory(student=pupil, section=school.section if number % 2 else school.other_section)
        pupils.append(pupil)
    rng = random.Random(7)
    events = []
    first_read = {}
    for number, pupil in enumerate(pupils):
        # Four reads each (the gate reads a card more than once), at times spread over the morning.
        times = sorted(rng.sample(range(7 * 60, 11 * 60), 4))
        first_read[pupil.pk] = times[0]
        events += [
            {"id": f"p{number}-{n}", "card": pupil.card_number, "at": at(day, minute // 60, minute % 60)}
            for n, minute in enumerate(times)
        ]
    events += [{"id": f"x{n}", "card": f"UNKNOWN{n}", "at": at(day, 8, 0)} for n in range(190)]
    events += events[:10]  # the same reads sent twice in one batch
    rng.shuffle(events)
    assert len(events) == 1000
    answer = outcomes(send(client, gate.key, *events))
    assert len(answer) == 990
    marks = {
        record.student_id: (record.status, record.late_minutes)
        for record in AttendanceRecord.objects.filter(student__in=pupils)
    }
    expected = {
        pk: ("late", minute - 510) if minute > 510 else ("present", None) for pk, minute in first_read.items()
    }
    assert marks == expected
    assert DeviceEvent.objects.count() == 990
    assert DeviceEvent.objects.filter(outcome="unknown_card").count() == 190
    # Sent again, in another order: nothing new.
    rng.shuffle(events)
    assert outcomes(send(client, gate.key, *events)) == answer
    assert AttendanceRecord.objects.filter(student__in=pupils).count() == 200
    assert DeviceEvent.objects.count() == 990


def test_a_batch_costs_the_same_queries_whatever_its_size(client, gate, school, day):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def batch_queries(prefix: str, size: int) -> int:
        pupils = [
            f.StudentFactory(first_name=f"{prefix}{n}", last_name="Q", card_number=f"{prefix}{n}")
            for n in range(size)
        ]
        for pupil in pupils:
            f.EnrollmentFactory(student=pupil, section=school.section)
        events = [{"id": f"{prefix}{n}", "card": f"{prefix}{n}", "at": at(day, 8, 0)} for n in range(size)]
        with CaptureQueriesContext(connection) as captured:
            assert set(outcomes(send(client, gate.key, *events)).values()) == {"present"}
        return len(captured)

    batch_queries("W", 1)  # the first makes the day's register and reads the attendance rules
    # The reader and its last contact, the events already recorded, the cards, the enrolments, the closures,
    # the registers (made, read, locked), the records, the writes, the count, the events: none per check-in.
    assert batch_queries("A", 5) == batch_queries("B", 60) == 18


def test_every_read_of_a_student_the_reader_cannot_mark_says_why(client, gate, school, day):
    stranger = f.StudentFactory(first_name="Not", last_name="Enrolled", card_number="0FF")
    answer = send(
        client,
        gate.key,
        {"id": "a", "card": "0FF", "at": at(day, 8, 0)},
        {"id": "b", "card": "0FF", "at": at(day, 8, 5)},
    )
    assert outcomes(answer) == {"a": "not_enrolled", "b": "not_enrolled"}
    assert not AttendanceRecord.objects.filter(student=stranger).exists()


def test_a_check_in_stamped_with_any_offset_is_the_same_moment(client, gate, school, day):
    # ISO 8601 allows offsets PostgreSQL refuses (beyond ±15:59); the moment is read as UTC.
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(8, 10)))
    far = moment.astimezone(datetime.timezone(-datetime.timedelta(hours=17, minutes=45))).isoformat()
    assert outcomes(send(client, gate.key, {"id": "far", "card": "04A1B2", "at": far})) == {"far": "present"}
    assert DeviceEvent.objects.get().occurred_at == moment
