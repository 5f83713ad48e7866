"""A grade level that takes its registers differently from the school: a possible session is a submitted
register whose kind is the mode of its section's grade (selectors.AttendanceSummary), on every surface.

The school takes a register a day; Grade 8 takes one per lesson (GradeRegisterMode). March 2024 (Spring):
  Dan Day (P7A, Grade 7): daily registers on the 16 school days of 1–22 March, absent on 4 March only:
    15 / 16 = 93.75 % -> 93.8 % (missed 6.2 %: under the 10 % threshold). A lesson register of P7A on
    18 March (taken though the grade is daily) is not counted.
  Lea Lesson (P8A, Grade 8): daily registers of P8A on the same 16 days, all marked absent (taken before the
    grade switched: not counted); four lesson registers: 18 March present and late, 19 March excused and
    present: 3 / 4 = 75.0 % (missed 25.0 %: chronically absent).
"""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core import signing
from django.urls import reverse
from openpyxl import load_workbook

from modules.attendance.analytics import ReportPeriod, attendance_overview
from modules.attendance.forms import GRADE_BASE_FIELD
from modules.attendance.models import (
    AttendancePolicy,
    AttendanceRecord,
    GradeRegisterMode,
    Register,
    RegisterModes,
)
from modules.attendance.services import tallies_rebuild
from modules.core.models import AuditEvent
from tests import factories as f
from tests.attendance.reports_helpers import daily_registers, mark, past_section, pupils, school_days
from tests.exams.test_report_card_fixtures import pdf_pages
from tests.reauth import reauthenticate

pytestmark = pytest.mark.django_db


def d(day: int) -> datetime.date:
    return datetime.date(2024, 3, day)


def lesson_registers(section, offering, student, marks: dict) -> None:
    """Submitted lesson registers of a class, one per (day, period) of `marks`, with the student's mark on
    each; tallied as `manage.py attendance_tallies` does."""
    for (day, period), status in marks.items():
        register = Register.objects.create(
            kind="lesson", date=day, section=section, offering=offering, period=period, state="submitted"
        )
        AttendanceRecord.objects.create(
            register=register,
            student=student,
            status=status,
            date=day,
            late_minutes=5 if status == "late" else None,
        )
    days = [day for day, _period in marks]
    tallies_rebuild(start=min(days), end=max(days))


@pytest.fixture
def mixed(teacher, other_teacher, guardian, other_guardian):
    seven = past_section("P7A", teacher=teacher)
    eight = past_section("P8A", teacher=other_teacher, grade="Grade 8", order=8)
    GradeRegisterMode.objects.create(grade_level=eight.grade_level, mode="lesson")
    term = f.TermFactory(year=seven.year, name="Spring", start_date=d(1), end_date=d(31))
    (dan,) = pupils(seven, "Dan Day")
    (lea,) = pupils(eight, "Lea Lesson")
    f.GuardianLinkFactory(student=dan, guardian=guardian.guardian_profile, relationship="father")
    f.GuardianLinkFactory(student=lea, guardian=other_guardian.guardian_profile, relationship="mother")
    taken = school_days(d(1), d(22))
    mark(daily_registers(seven, taken), {(dan, d(4)): "absent"}, students=[dan])
    mark(daily_registers(eight, taken), {}, default="absent", students=[lea])
    first, second = f.PeriodFactory(name="Period 1"), f.PeriodFactory(name="Period 2")
    science = f.CourseOfferingFactory(section=eight, subject=f.SubjectFactory(name="Science", code="SCI"))
    marks = {
        (d(18), first): "present",
        (d(18), second): "late",
        (d(19), first): "excused",
        (d(19), second): "present",
    }
    lesson_registers(eight, science, lea, marks)
    # A lesson register in the daily grade: not one of its sessions.
    art = f.CourseOfferingFactory(section=seven, subject=f.SubjectFactory(name="Art", code="ART"))
    lesson_registers(seven, art, dan, {(d(18), first): "absent"})
    return {"seven": seven, "eight": eight, "dan": dan, "lea": lea, "term": term}


PERIOD = {"start": "2024-03-01", "end": "2024-03-31"}


def _family_rate(client, student) -> str:
    page = client.get(reverse("attendance:family_child", kwargs={"pk": student.pk})).content.decode()
    return re.search(r'id="attendance-rate">([^<]*)<', page).group(1), page


def test_it_counts_only_each_grades_kind_of_register_on_the_family_page(
    mixed, guardian, other_guardian, as_user
):
    rate, page = _family_rate(as_user(guardian), mixed["dan"])
    assert rate == "93.8%"
    assert "present or late in 15 of 16 registers taken" in page
    rate, page = _family_rate(as_user(other_guardian), mixed["lea"])
    assert rate == "75.0%"
    assert "present or late in 3 of 4 registers taken" in page


def _student_cells(page: str, name: str) -> list[str]:
    row = re.search(rf"<tr>\s*<th[^>]*><a[^>]*>{name}</a></th>(.*?)</tr>", page, re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))]


def test_it_counts_the_lessons_of_a_per_lesson_grade_on_its_section_report(mixed, admin, as_user):
    office = as_user(admin)
    url = reverse("attendance:reports_section", kwargs={"pk": mixed["eight"].pk})
    page = office.get(url, PERIOD).content.decode()
    cells = _student_cells(page, "Lesson, Lea")
    assert cells[0] == "75.0%"
    assert cells[2:6] == ["2", "1", "0", "1"]
    assert "Attendance rate 75.0% over 2 school days marked." in page
    daily = office.get(reverse("attendance:reports_section", kwargs={"pk": mixed["seven"].pk}), PERIOD)
    assert _student_cells(daily.content.decode(), "Day, Dan")[0] == "93.8%"
    assert "Attendance rate 93.8% over 16 school days marked." in daily.content.decode()


def test_it_counts_each_grades_kind_in_the_school_report_and_chronic_absence(mixed, admin, as_user):
    page = as_user(admin).get(reverse("attendance:reports_overview"), PERIOD).content.decode()
    # Lea missed 1 of her 4 lessons (25.0 %): chronically absent; Dan missed 1 of 16 days (6.2 %): not.
    row = re.search(r"<tr>\s*<th[^>]*><a[^>]*>Lea Lesson</a></th>(.*?)</tr>", page, re.S)
    assert "25.0%" in row.group(1)
    assert "Dan Day</a>" not in page
    # The school's rate: 15 + 3 attended of 16 + 4 sessions = 90.0 %.
    assert "90.0%" in page


def test_it_reads_the_chronically_absent_of_a_term_from_each_grades_term_tallies(mixed):
    sections = [mixed["seven"], mixed["eight"]]
    modes = AttendancePolicy.load().modes
    assert modes == RegisterModes(default="daily", by_grade=((mixed["eight"].grade_level_id, "lesson"),))
    period = ReportPeriod(start=d(1), end=d(31), term_id=mixed["term"].pk)
    overview = attendance_overview(
        sections=sections, period=period, mode=modes, threshold=10, whole_school=True
    )
    assert [line.student for line in overview.chronic] == [mixed["lea"]]
    assert (overview.total.attended, overview.total.possible) == (18, 20)
    by_grade = {row.label: str(row.tally.rate) for row in overview.by_grade}
    assert by_grade == {"Grade 7": "93.8", "Grade 8": "75.0"}


def test_it_counts_the_grades_kind_in_the_monthly_register(mixed, admin, as_user):
    export = reauthenticate(as_user(admin)).get(
        reverse("attendance:reports_monthly_xlsx", kwargs={"pk": mixed["eight"].pk}), {"month": "2024-03"}
    )
    rows = [
        [cell.value for cell in row]
        for row in load_workbook(io.BytesIO(export.content)).worksheets[0].iter_rows()
    ]
    (lea_row,) = [row for row in rows if row[0] == "Lesson, Lea"]
    assert lea_row[-1] == 75.0
    # Her daily registers (all absent) are not on it: the days of lessons only, late on the 18th.
    assert "A" not in lea_row
    assert lea_row.count("L") == 1


def test_it_gives_the_report_card_the_grades_figure(mixed, admin, as_user):
    card = as_user(admin).get(reverse("exams:report_card", args=[mixed["lea"].pk, mixed["term"].pk]))
    assert card.status_code == 200
    text = " ".join(pdf_pages(card.content)[0].split())
    assert "2 1 0 1 4 75.0%" in text


# --- the day's registers ---------------------------------------------------------------------------------


def test_it_lists_both_kinds_of_register_on_the_office_board_on_one_day(as_user, admin, weekday, school):
    eight_grade = f.GradeLevelFactory(name="Grade 8", order=8)
    eight = f.SectionFactory(year=school.year, grade_level=eight_grade, name="8A")
    GradeRegisterMode.objects.create(grade_level=eight_grade, mode="lesson")
    science = f.CourseOfferingFactory(
        section=eight, subject=f.SubjectFactory(name="Science", code="SCI"), teacher=school.teacher_staff
    )
    period = f.PeriodFactory(name="Period 3")
    f.LessonFactory(offering=science, period=period, weekday=weekday.weekday())
    # A lesson of the daily grade: no lesson register for it.
    f.LessonFactory(
        offering=school.offering, period=f.PeriodFactory(name="Period 4"), weekday=weekday.weekday()
    )
    page = as_user(admin).get(reverse("attendance:office_today"))
    board = page.context["board"]
    assert board.total == 3
    kinds = sorted((row.register.kind, row.register.section.name) for row in board.rows)
    assert kinds == [("daily", "7A"), ("daily", "7B"), ("lesson", "8A")]
    text = page.content.decode()
    assert "Period 3" in text
    assert "Science" in text
    assert "Period 4" not in text
    assert not Register.objects.filter(section=eight, kind="daily").exists()


def test_it_gives_a_teacher_the_daily_register_and_the_lesson_registers_of_their_grades(
    as_user, teacher, weekday, school
):
    eight_grade = f.GradeLevelFactory(name="Grade 8", order=8)
    eight = f.SectionFactory(year=school.year, grade_level=eight_grade, name="8A")
    GradeRegisterMode.objects.create(grade_level=eight_grade, mode="lesson")
    science = f.CourseOfferingFactory(
        section=eight, subject=f.SubjectFactory(name="Science", code="SCI"), teacher=school.teacher_staff
    )
    f.LessonFactory(offering=science, period=f.PeriodFactory(name="Period 3"), weekday=weekday.weekday())
    f.LessonFactory(
        offering=school.offering, period=f.PeriodFactory(name="Period 4"), weekday=weekday.weekday()
    )
    page = as_user(teacher).get(reverse("home")).content.decode()
    daily = Register.objects.get(section=school.section, date=weekday, kind="daily")
    lesson = Register.objects.get(offering=science, date=weekday, kind="lesson")
    assert reverse("attendance:register_detail", args=[daily.pk]) in page
    assert "Register 7A" in page
    assert reverse("attendance:register_detail", args=[lesson.pk]) in page
    assert "Science · 8A" in page
    # Mathematics in 7A (a daily grade) opens the gradebook, not a register.
    assert not Register.objects.filter(offering=school.offering).exists()
    assert reverse("exams:gradebook", args=[school.offering.pk]) in page


# --- the office's page ---------------------------------------------------------------------------------

URL = reverse("attendance:office_policy")


def _policy_post(form_page, **changes) -> dict:
    """The policy page's form as drawn (every field with its value), with `changes`."""
    form = form_page.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    data.update(changes)
    return data


def test_it_saves_a_grade_levels_own_mode_with_the_rules_and_audits_it(as_user, admin, school):
    eight = f.GradeLevelFactory(name="Grade 8", order=8)
    client = as_user(admin)
    page = client.get(URL)
    text = page.content.decode()
    assert "Grade 8" in text
    assert "Same as the school" in text
    assert "One register per lesson" in text
    data = _policy_post(page, **{f"grade_{eight.pk}": "lesson", "teacher_edit_days": "2"})
    response = client.post(URL, data, follow=True)
    assert "The attendance rules were saved." in response.content.decode()
    policy = AttendancePolicy.load()
    assert policy.teacher_edit_days == 2
    assert policy.modes.for_grade(eight.pk) == "lesson"
    assert policy.modes.for_grade(school.section.grade_level_id) == "daily"
    event = AuditEvent.objects.get(action="attendance.policy")
    assert event.before["grade_modes"] == {}
    assert event.after["grade_modes"] == {"Grade 8": "lesson"}
    # Back to the school's mode: the grade's own row goes.
    again = client.post(URL, _policy_post(client.get(URL), **{f"grade_{eight.pk}": ""}), follow=True)
    assert "The attendance rules were saved." in again.content.decode()
    assert not GradeRegisterMode.objects.exists()
    assert AttendancePolicy.load().modes.uniform


def test_it_refuses_a_bad_grade_mode_and_writes_nothing(as_user, admin, school):
    eight = f.GradeLevelFactory(name="Grade 8", order=8)
    client = as_user(admin)
    data = _policy_post(client.get(URL), **{f"grade_{eight.pk}": "weekly", "teacher_edit_days": "3"})
    response = client.post(URL, data)
    assert response.status_code == 200
    assert (
        "Choose how Grade 8 takes its registers: as the school, daily, or per lesson."
        in response.content.decode()
    )
    assert not GradeRegisterMode.objects.exists()
    assert AttendancePolicy.load().teacher_edit_days == 0
    assert not AuditEvent.objects.filter(action="attendance.policy").exists()


def test_it_refuses_to_overwrite_a_grade_mode_someone_changed_meanwhile(as_user, admin, school):
    eight = f.GradeLevelFactory(name="Grade 8", order=8)
    client = as_user(admin)
    opened = client.get(URL)
    GradeRegisterMode.objects.create(grade_level=eight, mode="lesson")  # someone else, meanwhile
    response = client.post(URL, _policy_post(opened, **{f"grade_{eight.pk}": "daily"}))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Someone else changed this to “One register per lesson” since you opened the page." in text
    assert GradeRegisterMode.objects.get().mode == "lesson"
    # Saving again (the page now carries the stored value as its base) writes it on purpose.
    base = signing.loads(response.context["form"].data[GRADE_BASE_FIELD])
    assert base == {str(eight.pk): "lesson"}
    data = dict(response.context["form"].data.items())
    client.post(URL, data)
    assert GradeRegisterMode.objects.get().mode == "daily"


def test_it_keeps_a_grade_someone_else_changed_when_the_page_left_it_as_it_was(as_user, admin, school):
    eight = f.GradeLevelFactory(name="Grade 8", order=8)
    client = as_user(admin)
    opened = client.get(URL)
    GradeRegisterMode.objects.create(grade_level=eight, mode="lesson")  # someone else, meanwhile
    client.post(URL, _policy_post(opened, teacher_edit_days="4"), follow=True)
    assert GradeRegisterMode.objects.get().mode == "lesson"
    assert AttendancePolicy.load().teacher_edit_days == 4


def test_it_forgets_the_cached_modes_when_a_grades_mode_changes(school):
    grade = school.section.grade_level
    assert AttendancePolicy.load().modes.uniform
    row = GradeRegisterMode.objects.create(grade_level=grade, mode="lesson")
    assert AttendancePolicy.load().modes.for_grade(grade.pk) == "lesson"
    row.delete()
    assert AttendancePolicy.load().modes.uniform
