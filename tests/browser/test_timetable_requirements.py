"""The office states a section's requirements like a person: types the periods a week and doubles of a class
key by key, saves the row, sees the section's total and the precheck change without a reload; the page is
axe-clean at 390 px."""

from __future__ import annotations

from playwright.sync_api import expect

from modules.timetable.models import Requirement
from tests.browser.test_walk import AXE_JS, AXE_SOURCE, OVERFLOW_JS
from tests.timetable.requirements_school import lab_and_classroom, school_week

TYPING_DELAY_MS = 60  # between keys, as a person types


def _type(field, text: str) -> None:
    field.click()
    field.press("Control+A")
    field.press("Backspace")
    field.press_sequentially(text, delay=TYPING_DELAY_MS)


def test_the_office_types_a_classes_periods_and_sees_the_week_fill(page, login, admin, school):
    school_week(school)
    login(page, admin)
    page.goto("/timetable/requirements/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Timetable requirements")
    page.get_by_role("link", name="Requirements 7A").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Requirements of 7A")
    expect(page.get_by_text("0 periods a week of 25 teaching periods.")).to_be_visible()

    _type(page.get_by_label("Periods a week of Mathematics"), "6")
    _type(page.get_by_label("Double periods of Mathematics"), "2")
    page.get_by_role("button", name="Save Mathematics").click()
    row = page.locator(f"#class-{school.offering.pk}")
    expect(row.get_by_role("status")).to_have_text("Saved")
    expect(page.get_by_text("6 periods a week of 25 teaching periods.")).to_be_visible()
    requirement = Requirement.objects.get(offering=school.offering)
    assert (requirement.periods_per_week, requirement.double_lessons) == (6, 2)

    # Too many for the week: the total and the precheck say so at once.
    _type(page.get_by_label("Periods a week of Mathematics"), "30")
    page.get_by_role("button", name="Save Mathematics").click()
    expect(page.get_by_text("30 periods a week, more than the 25 teaching periods.")).to_be_visible()
    expect(page.get_by_text("7A has 30 lessons but the week has 25 periods.")).to_be_visible()

    # A mistake is explained in the row, and nothing is saved.
    _type(page.get_by_label("Double periods of Mathematics"), "16")
    page.get_by_role("button", name="Save Mathematics").click()
    expect(page.get_by_text("16 double periods take 32 periods, more than the 30 a week.")).to_be_visible()
    assert Requirement.objects.get(offering=school.offering).double_lessons == 2


def test_the_requirements_pages_are_axe_clean_on_a_phone(phone_page, login, admin, school):
    week = school_week(school)
    _lab, room, _lab_room = lab_and_classroom()
    Requirement.objects.create(offering=school.offering, periods_per_week=4, double_lessons=1)
    page = login(phone_page, admin)
    for url in (
        "/timetable/requirements/",
        f"/timetable/requirements/sections/{school.section.pk}/",
        f"/timetable/requirements/classes/{school.offering.pk}/",
        "/timetable/requirements/teachers/",
        f"/timetable/requirements/teachers/{school.teacher_staff.pk}/",
        "/timetable/requirements/rooms/",
        f"/timetable/requirements/rooms/{room.pk}/",
        "/timetable/requirements/room-kinds/",
        "/timetable/requirements/joint/",
        "/timetable/requirements/fixed/",
        "/timetable/requirements/settings/",
        "/timetable/requirements/import/",
    ):
        page.goto(url)
        page.evaluate(AXE_SOURCE + "\n;true")
        violations = page.evaluate(AXE_JS, None)
        assert violations == [], (url, violations)
        assert page.evaluate(OVERFLOW_JS) is None, url
    assert len(week) == 5
