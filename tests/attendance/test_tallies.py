"""The attendance tallies: each register's marks and each student's marks over a term, counted by status and
kept by the services in the same transaction as the marks. They must always equal a recount of the records,
whatever happened (marks, corrections, submissions, an accepted absence note, deletions), also when two
people mark the same register at the same moment; the backfill command brings records written around the
services in; and the reports read the same figures from them as from the records."""

from __future__ import annotations

import datetime
import threading
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count

from modules.academics.models import Term
from modules.attendance.absence_notes import absence_note_decide
from modules.attendance.analytics import ReportPeriod, attendance_overview
from modules.attendance.models import (
    AbsenceNote,
    AttendanceRecord,
    Register,
    RegisterTally,
    StudentTermTally,
)
from modules.attendance.selectors import STATUS_FIELDS, attendance_summary
from modules.attendance.services import record_mark, register_submit
from tests import factories as f
from tests.attendance.reports_helpers import daily_registers, mark, past_section, past_year, pupils

MON, TUE, WED, THU, FRI = (datetime.date(2024, 3, day) for day in (11, 12, 13, 14, 15))


def recounted_registers() -> dict[int, list[int]]:
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    rows = AttendanceRecord.objects.order_by().values_list("register_id", "status").annotate(n=Count("pk"))
    for register_id, status, n in rows:
        counts[register_id][STATUS_FIELDS.index(status)] = n
    return dict(counts)


def stored_registers() -> dict[int, list[int]]:
    """The stored tallies, leaving out the empty ones (a register whose records all went)."""
    rows = RegisterTally.objects.values_list("register_id", *STATUS_FIELDS)
    return {row[0]: list(row[1:]) for row in rows if any(row[1:])}


def assert_tallies_are_recounts() -> None:
    assert stored_registers() == recounted_registers()
    for term in Term.objects.all():
        for kind in ("daily", "lesson"):
            summaries = attendance_summary(
                AttendanceRecord.objects.values("student_id"), term.start_date, term.end_date, mode=kind
            )
            expected = {
                pk: [getattr(summary, status) for status in STATUS_FIELDS]
                for pk, summary in summaries.items()
                if summary.possible
            }
            stored = {
                row[0]: list(row[1:])
                for row in StudentTermTally.objects.filter(term=term, kind=kind).values_list(
                    "student_id", *STATUS_FIELDS
                )
                if any(row[1:])
            }
            assert stored == expected


def earlier_weekday(day: datetime.date) -> datetime.date:
    day -= datetime.timedelta(days=1)
    while day.weekday() >= 5:
        day -= datetime.timedelta(days=1)
    return day


@pytest.mark.django_db
def test_it_keeps_the_tallies_equal_to_a_recount_whatever_happens(
    weekday, school, teacher, admin, guardian, django_capture_on_commit_callbacks
):
    child = school.child
    amy, ben, cat = (f.StudentFactory(first_name=name, last_name="Pupil") for name in ("Amy", "Ben", "Cat"))
    for pupil in (amy, ben, cat):
        f.EnrollmentFactory(student=pupil, section=school.section)
    today = f.RegisterFactory(section=school.section, date=weekday)
    yesterday = f.RegisterFactory(section=school.section, date=earlier_weekday(weekday))

    record_mark(register=today, student_id=child.pk, status="absent", by=teacher)
    record_mark(register=today, student_id=amy.pk, status="late", late_minutes=5, by=teacher)
    record_mark(register=today, student_id=child.pk, status="present", by=teacher)  # changed their mind
    assert RegisterTally.objects.get(register=today).late == 1
    assert_tallies_are_recounts()

    assert register_submit(register=today, by=teacher) == 2  # Ben and Cat saved present
    assert_tallies_are_recounts()
    assert StudentTermTally.objects.get(student=ben, term=school.term, kind="daily").present == 1

    today.refresh_from_db()
    record_mark(register=today, student_id=ben.pk, status="absent", by=admin, change_reason="Left at nine")
    assert_tallies_are_recounts()
    assert StudentTermTally.objects.get(student=ben, term=school.term, kind="daily").absent == 1

    record_mark(
        register=yesterday, student_id=child.pk, status="absent", by=admin, change_reason="Late entry"
    )
    register_submit(register=yesterday, by=admin)
    note = AbsenceNote.objects.create(
        student=child,
        submitted_by=guardian,
        date_from=yesterday.date,
        date_to=yesterday.date,
        reason="Dentist",
    )
    assert absence_note_decide(note=note, by=admin, accept=True) == 1
    assert StudentTermTally.objects.get(student=child, term=school.term, kind="daily").excused == 1
    assert_tallies_are_recounts()

    with django_capture_on_commit_callbacks(execute=True):
        AttendanceRecord.objects.filter(register=today, student=amy).delete()
    assert_tallies_are_recounts()
    with django_capture_on_commit_callbacks(execute=True):
        cat.delete()
    assert_tallies_are_recounts()
    with django_capture_on_commit_callbacks(execute=True):
        Register.objects.filter(pk=yesterday.pk).delete()
    assert_tallies_are_recounts()
    assert StudentTermTally.objects.get(student=child, term=school.term, kind="daily").excused == 0


def production_transactions() -> None:
    """This thread's connection as deployed (portal/settings/base.py): SQLite transactions take the write
    lock when they begin, so a second writer waits for the first instead of failing; the test settings'
    database does not say so. (PostgreSQL: nothing to do, the register's row lock makes it wait.)"""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        connection.transaction_mode = "IMMEDIATE"


@pytest.mark.django_db(transaction=True)
def test_it_counts_both_marks_when_two_people_mark_one_register_at_once(weekday, school, teacher, admin):
    """The first mark's transaction stays open while the second is made: the second waits for the
    register's lock, so its recount sees the first mark (without the lock it would count only its own and
    write over the first's count)."""
    amy = f.StudentFactory(first_name="Amy", last_name="Pupil")
    f.EnrollmentFactory(student=amy, section=school.section)
    register = f.RegisterFactory(section=school.section, date=weekday)
    first_marked = threading.Event()
    errors: list[BaseException] = []

    def first():
        try:
            production_transactions()
            with transaction.atomic():
                record_mark(register=register, student_id=school.child.pk, status="absent", by=teacher)
                first_marked.set()
                # Hold the transaction open while the other mark starts (it must wait, not count past it).
                threading.Event().wait(0.5)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
            first_marked.set()
        finally:
            connection.close()

    def second():
        try:
            first_marked.wait(10)
            production_transactions()
            record_mark(register=register, student_id=amy.pk, status="late", late_minutes=3, by=admin)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    tally = RegisterTally.objects.get(register=register)
    assert (tally.present, tally.late, tally.absent, tally.excused) == (0, 1, 1, 0)
    assert_tallies_are_recounts()


@pytest.fixture
def week(teacher, other_teacher):
    """A past week written in bulk, around the services (no tallies): 7A with Bob absent twice and
    excused once, Cal late once; 7B with Dee absent once; and a term that is exactly that week."""
    term = Term.objects.create(year=past_year(), name="Short term", start_date=MON, end_date=FRI)
    a = past_section("P7A", teacher=teacher)
    b = past_section("P7B", teacher=other_teacher)
    amy, bob, cal = pupils(a, "Amy Able", "Bob Brook", "Cal Crane")
    (dee,) = pupils(b, "Dee Dune")
    registers_a = daily_registers(a, [MON, TUE, WED, THU, FRI])
    marks = {(bob, MON): "absent", (bob, TUE): "absent", (bob, WED): "excused", (cal, MON): "late"}
    mark(registers_a, marks, students=[amy, bob, cal], tallied=False)
    mark(daily_registers(b, [MON, TUE]), {(dee, TUE): "absent"}, students=[dee], tallied=False)
    return {"term": term, "sections": [a, b], "a": a}


class Output:
    """A command's stdout, line by line."""

    def __init__(self):
        self.lines: list[str] = []

    def write(self, text: str) -> None:
        self.lines.append(text.rstrip("\n"))

    def flush(self) -> None:
        pass


def _figures(overview) -> tuple:
    return (
        (overview.total.possible, overview.total.attended, overview.total.absent, overview.total.excused),
        overview.school_days,
        [(row.label, row.tally.rate, row.days) for row in overview.by_section],
        [(row.label, row.tally.rate) for row in overview.by_weekday + overview.by_month + overview.by_grade],
        [(line.student.full_name, line.tally.missed, line.tally.possible) for line in overview.chronic],
        overview.chronic_count,
    )


@pytest.mark.django_db
def test_it_backfills_the_tallies_and_reads_the_same_figures_as_from_the_records(week):
    period = ReportPeriod(start=MON, end=FRI, term_id=week["term"].pk)

    def overview():
        return attendance_overview(
            sections=week["sections"], period=period, mode="daily", threshold=Decimal("10"), whole_school=True
        )

    from_records = _figures(overview())
    assert from_records[0] == (17, 13, 3, 1)
    assert from_records[4] == [("Bob Brook", 3, 5), ("Dee Dune", 1, 2)]
    assert not RegisterTally.objects.exists()

    out = Output()
    call_command("attendance_tallies", stdout=out)
    assert out.lines == ["Tallies recounted; 7 register tallies were missing or wrong."]
    assert_tallies_are_recounts()
    assert _figures(overview()) == from_records
    # A tally that drifted (written around the services) is found and corrected.
    RegisterTally.objects.filter(register__section=week["a"], register__date=MON).update(absent=9)
    call_command("attendance_tallies", "--from", "2024-03-11", stdout=out)
    assert out.lines[-1] == "Tallies recounted; 1 register tallies were missing or wrong."
    assert _figures(overview()) == from_records


@pytest.mark.django_db
def test_it_pins_the_queries_of_the_overview_on_a_term_with_patterns_worked_out(
    week, admin, as_user, queries_exactly
):
    from modules.attendance.patterns import patterns_refresh

    call_command("attendance_tallies", stdout=Output())
    patterns_refresh(today=FRI)
    client = as_user(admin)
    # User, the term chosen, sections, the tallies by section and by day, the chronically absent (from
    # the term tallies) and their enrollments, the stored patterns' snapshot and rows (none: no student
    # to look up), the bell, the terms of the form. No query reads the records.
    with queries_exactly(11) as captured:
        response = client.get("/attendance/reports/", {"term": week["term"].pk})
    assert response.status_code == 200
    assert not any("attendance_attendancerecord" in query["sql"] for query in captured.captured_queries)
    page = response.content.decode()
    assert "Bob Brook" in page
    assert "Short term" in page
    assert "Worked out at" in page
