"""One attendance rate: the same student's rate for the same term is the same figure on the family page, the
report card, the office's section and overview reports, the weekly digest and the monthly register export.

Marks for Zed in March 2024 (the Spring term), worked out by hand:
  present 9 (1 March, 13–15 and 18–22 March), late 2 (8 and 12 March), absent without excuse 3 (4–6 March,
  a run the digest flags), excused 2 (7 and 11 March);
  not counted: 25 March (register still being taken), 26 March (register not taken: no mark), 27–29 March
  (no register at all).
  Possible sessions 16, attended (present or late) 11: 11 / 16 = 68.75 % -> 68.8 %; missed 31.2 %.
The old family page counted the excused days as attended and said 81.3 %.
"""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from modules.attendance.models import AttendanceRecord, Register
from modules.attendance.patterns import weekly_digest_send
from modules.communications.models import Notification
from tests import factories as f
from tests.attendance.reports_helpers import daily_registers, mark, past_section, pupils, school_days
from tests.exams.test_report_card_fixtures import pdf_pages
from tests.reauth import reauthenticate

pytestmark = pytest.mark.django_db

EXPECTED_RATE = "68.8"
EXPECTED_MISSED = "31.2"


def d(day: int) -> datetime.date:
    return datetime.date(2024, 3, day)


@pytest.fixture
def zed(teacher, guardian):
    """Zed Zero in P7A (2023/2024), his guardian linked, marks as in the module's docstring; Amy Able always
    present (so the section's figures are not Zed's alone)."""
    section = past_section("P7A", teacher=teacher)
    f.TermFactory(year=section.year, name="Spring", start_date=d(1), end_date=d(31))
    amy, zed = pupils(section, "Amy Able", "Zed Zero")
    f.GuardianLinkFactory(student=zed, guardian=guardian.guardian_profile, relationship="father")
    taken = school_days(d(1), d(22))
    marks = {(zed, day): "absent" for day in (d(4), d(5), d(6))}
    marks |= {(zed, d(7)): "excused", (zed, d(11)): "excused", (zed, d(8)): "late", (zed, d(12)): "late"}
    mark(daily_registers(section, taken), marks, students=[amy, zed])
    being_taken = Register.objects.create(kind="daily", date=d(25), section=section, state="in_progress")
    AttendanceRecord.objects.create(register=being_taken, student=zed, status="absent", date=d(25))
    Register.objects.create(kind="daily", date=d(26), section=section, state="not_taken")
    return zed


def test_it_shows_the_same_rate_on_every_surface(zed, guardian, admin, as_user):
    section = zed.enrollments.get().section
    term = section.year.terms.get()

    # The family page (as the guardian): the rate, the counts and the definition.
    page = as_user(guardian).get(reverse("attendance:family_child", kwargs={"pk": zed.pk})).content.decode()
    assert re.search(r'id="attendance-rate">([^<]*)<', page).group(1) == f"{EXPECTED_RATE}%"
    assert re.search(r'id="unexcused-count">([^<]*)<', page).group(1) == "3"
    assert re.search(r'id="excused-count">([^<]*)<', page).group(1) == "2"
    assert re.search(r'id="late-count">([^<]*)<', page).group(1) == "2"
    assert "present or late in 11 of 16 registers taken" in page

    office = as_user(admin)
    # The report card (PDF, as the office prints it): present, late, absent, excused, registers taken, rate.
    card = office.get(reverse("exams:report_card", args=[zed.pk, term.pk]))
    assert card.status_code == 200
    text = " ".join(pdf_pages(card.content)[0].split())
    assert f"9 2 3 2 16 {EXPECTED_RATE}%" in text

    # The office's report of the section for the term: Zed's row.
    period = {"start": "2024-03-01", "end": "2024-03-31"}
    report = office.get(reverse("attendance:reports_section", kwargs={"pk": section.pk}), period)
    row = re.search(r"<tr>\s*<th[^>]*><a[^>]*>Zero, Zed</a></th>(.*?)</tr>", report.content.decode(), re.S)
    cells = [
        re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))
    ]
    assert cells[0] == f"{EXPECTED_RATE}%"
    assert cells[2:6] == ["9", "2", "3", "2"]
    assert cells[6] == f"Missed {EXPECTED_MISSED}%"
    # The section's own rate counts the same sessions: Amy 16 of 16, Zed 11 of 16 (not the mark on the
    # register still being taken): 27 / 32 = 84.4 %.
    assert "Attendance rate 84.4% over 16 school days marked." in report.content.decode()

    # The overview's chronically absent list (the school's threshold, 10 %): Zed missed 31.2 %.
    overview = office.get(reverse("attendance:reports_overview"), period).content.decode()
    row = re.search(r"<tr>\s*<th[^>]*><a[^>]*>Zed Zero</a></th>(.*?)</tr>", overview, re.S)
    assert f"{EXPECTED_MISSED}%" in row.group(1)

    # The weekly digest of the Monday after the term: Zed is newly flagged (absent 4–6 March), with his rate.
    weekly_digest_send(today=datetime.date(2024, 4, 1))
    (digest,) = Notification.objects.filter(recipient=admin, kind="attendance_digest")
    line = "Zed Zero (P7A): Absent 3 school days in a row: 4–6 March. Attendance rate in Spring: {}%."
    assert line.format(EXPECTED_RATE) in digest.body

    # The monthly register export (XLSX) for March: Zed's rate column.
    export = reauthenticate(office).get(
        reverse("attendance:reports_monthly_xlsx", kwargs={"pk": section.pk}), {"month": "2024-03"}
    )
    rows = [
        [cell.value for cell in row]
        for row in load_workbook(io.BytesIO(export.content)).worksheets[0].iter_rows()
    ]
    assert rows[0][-1] == "Attendance rate (%)"
    (zed_row,) = [row for row in rows if row[0] == "Zero, Zed"]
    assert zed_row[-5:] == [9, 2, 3, 2, float(EXPECTED_RATE)]


def test_it_counts_an_excused_absence_as_missed_and_a_late_arrival_as_attended(zed):
    from modules.attendance.selectors import attendance_summary

    summary = attendance_summary([zed.pk], d(1), d(31))[zed.pk]
    assert (summary.possible, summary.attended, summary.late) == (16, 11, 2)
    assert (summary.authorised, summary.unauthorised) == (2, 3)
    assert str(summary.rate) == EXPECTED_RATE
    assert str(summary.missed_percent) == EXPECTED_MISSED


def test_it_gives_no_rate_before_anything_counts_and_one_query_for_many_students(
    zed, django_assert_num_queries
):
    from modules.attendance.selectors import attendance_summary

    (ann,) = pupils(zed.enrollments.get().section, "Ann Other")
    nobody_yet = attendance_summary([ann.pk], d(25), d(31))[ann.pk]
    assert nobody_yet.possible == 0
    assert nobody_yet.rate is None
    others = [
        student.pk for student in pupils(zed.enrollments.get().section, *[f"Kid K{n}" for n in range(20)])
    ]
    with django_assert_num_queries(1):
        summaries = attendance_summary([zed.pk, *others], d(1), d(31))  # the school's mode read in it
    assert str(summaries[zed.pk].rate) == EXPECTED_RATE
    assert summaries[others[0]].rate is None


def test_it_counts_the_lessons_of_a_per_lesson_school(zed):
    """A school taking a register per lesson counts lessons: its old daily registers are not sessions."""
    from modules.attendance.models import AttendancePolicy
    from modules.attendance.selectors import attendance_summary

    policy = AttendancePolicy.load()
    policy.mode = "lesson"
    policy.save()
    section = zed.enrollments.get().section
    offering = f.CourseOfferingFactory(section=section)
    for period, status in zip(f.PeriodFactory.create_batch(3), ["present", "excused", "late"], strict=True):
        register = Register.objects.create(
            kind="lesson", date=d(28), section=section, offering=offering, period=period, state="submitted"
        )
        AttendanceRecord.objects.create(register=register, student=zed, status=status, date=d(28))
    summary = attendance_summary([zed.pk], d(1), d(31))[zed.pk]
    assert (summary.possible, summary.attended, summary.authorised) == (3, 2, 1)
    assert str(summary.rate) == "66.7"
