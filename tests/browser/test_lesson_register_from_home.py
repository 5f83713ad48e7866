"""A teacher of a grade that takes a register per lesson opens today's lesson registers from "Today's classes"
on their home (one by a click, one with the keyboard), marks a student absent and one late with the minutes
typed, submits; a reload keeps the marks, and the office's board counts the register as taken."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from modules.attendance.models import AttendanceRecord, GradeRegisterMode, Register
from tests import factories as f

TYPING_DELAY_MS = 60  # between keys, as a person types


@pytest.fixture
def upper(school, weekday):
    """Grade 8 takes a register per lesson (the school and its Grade 7 one a day). Tom Teach teaches 8A
    Science in period 2 and Geography in period 4 today; 8A has three students."""
    grade = f.GradeLevelFactory(name="Grade 8", order=8)
    GradeRegisterMode.objects.create(grade_level=grade, mode="lesson")
    section = f.SectionFactory(year=school.year, grade_level=grade, name="8A")
    students = {}
    for first, last in [("Ann", "Absent"), ("Leo", "Late"), ("Pat", "Present")]:
        student = f.StudentFactory(first_name=first, last_name=last)
        f.EnrollmentFactory(student=student, section=section)
        students[first] = student
    lessons = {}
    for subject, code, period in [("Science", "SCI", 2), ("Geography", "GEO", 4)]:
        offering = f.CourseOfferingFactory(
            section=section, subject=f.SubjectFactory(name=subject, code=code), teacher=school.teacher_staff
        )
        lessons[subject] = f.LessonFactory(
            offering=offering,
            weekday=weekday.weekday(),
            period=f.PeriodFactory(name=f"Period {period}", order=period),
        )
    return {"section": section, "students": students, "lessons": lessons}


def todays_class(page, name: str):
    """A lesson in the home's "Today's classes" (not the same register in "Today's registers" above it)."""
    classes = page.get_by_role("region", name="Today's classes")
    return classes.get_by_role("link", name=re.compile(rf"^{re.escape(name)}"))


def test_a_teacher_opens_todays_lesson_register_from_home_marks_it_and_the_office_sees_it_taken(
    page, browser, live_server, login, teacher, admin, school, upper, weekday
):
    login(page, teacher)
    # "Today's registers" has 7A's daily register (Tom leads it) and 8A's two lesson registers.
    expect(page.get_by_role("link", name=re.compile(r"^Register 7A"))).to_be_visible()
    expect(todays_class(page, "Science · 8A")).to_contain_text("Register")

    # By click: Science.
    todays_class(page, "Science · 8A").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Science · 8A")
    expect(page.get_by_text(re.compile(r"Period 2 \(\d\d:\d\d–\d\d:\d\d\)"))).to_be_visible()
    expect(page.locator("form[data-register]")).to_have_attribute("data-ready", "true")
    register = Register.objects.get(
        kind="lesson", offering=upper["lessons"]["Science"].offering, date=weekday
    )
    assert page.url.endswith(reverse("attendance:register_detail", args=[register.pk]))

    page.get_by_role("group", name="Ann Absent").get_by_text("Absent", exact=True).click()
    page.get_by_role("group", name="Leo Late").get_by_text("Late", exact=True).click()
    minutes = page.get_by_label("Minutes late (Leo Late)")
    minutes.click()
    minutes.press("Control+a")
    minutes.press_sequentially("7", delay=TYPING_DELAY_MS)
    minutes.press("Tab")
    expect(page.locator("li.register-row.is-saving, li.register-row.is-unsaved")).to_have_count(0)
    page.get_by_role("button", name="Submit register").click()
    expect(page.get_by_role("alert").filter(has_text="The register is submitted")).to_contain_text(
        "1 present, 1 absent, 1 late, 0 excused"
    )

    page.reload()
    expect(page.get_by_role("group", name="Ann Absent").get_by_role("radio", name="Absent")).to_be_checked()
    expect(page.get_by_role("group", name="Leo Late").get_by_role("radio", name="Late")).to_be_checked()
    expect(page.get_by_role("group", name="Pat Present").get_by_role("radio", name="Present")).to_be_checked()
    expect(page.get_by_label("Minutes late (Leo Late)")).to_have_value("7")
    late = AttendanceRecord.objects.get(register=register, student=upper["students"]["Leo"])
    assert (late.status, late.late_minutes) == ("late", 7)

    # By keyboard: Tab to Geography in "Today's classes" and Enter.
    page.goto("/")
    geography = todays_class(page, "Geography · 8A")
    for _press in range(60):
        page.keyboard.press("Tab")
        if geography.evaluate("link => link === document.activeElement"):
            break
    expect(geography).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Geography · 8A")
    expect(page.get_by_text(re.compile(r"Period 4 \(\d\d:\d\d–\d\d:\d\d\)"))).to_be_visible()

    # The office's board: the Science register is taken; Geography and the daily registers are not yet.
    office = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    try:
        board = office.new_page()
        login(board, admin)
        board.goto(reverse("attendance:office_today"))
        expect(board.get_by_role("heading", level=1)).to_have_text("Today's registers")
        figure = lambda label: board.locator(".stat-card", has_text=label).locator(".display-6")  # noqa: E731
        expect(figure("Expected")).to_have_text("4")  # 7A and 7B's daily registers, 8A's two lessons'
        expect(figure("Submitted")).to_have_text("1")
        waiting = board.get_by_role("table")
        expect(waiting).to_contain_text("Geography · 8A")
        expect(waiting).to_contain_text("7A")
        expect(waiting).not_to_contain_text("Science · 8A")
    finally:
        office.close()
