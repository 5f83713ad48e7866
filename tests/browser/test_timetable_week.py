"""A guardian reads a child's week on a phone (390 px): from the menu to the day-by-day list, on to next
week with its holiday, to a chosen date; the office reads a section's week as a grid on a laptop. Both are
axe-clean and nothing overflows."""

from __future__ import annotations

import datetime
import re

from django.utils import timezone
from playwright.sync_api import expect

from modules.timetable import selectors
from tests import factories as f
from tests.browser.test_walk import AXE_JS, AXE_SOURCE, OVERFLOW_JS
from tests.timetable.week_fixtures import *  # noqa: F403


def _axe_clean(page) -> None:
    page.evaluate(AXE_SOURCE + "\n;true")
    violations = page.evaluate(AXE_JS, None)
    assert violations == [], violations
    assert page.evaluate(OVERFLOW_JS) is None


def test_a_guardian_reads_their_childs_week_on_a_phone(phone_page, login, guardian, school, live):
    next_monday = selectors.monday_of(timezone.localdate()) + datetime.timedelta(days=7)
    wednesday = next_monday + datetime.timedelta(days=2)
    f.CalendarEventFactory(name="Sports day off", start_date=wednesday, end_date=wednesday)
    page = phone_page
    login(page, guardian)
    page.get_by_role("button", name="Toggle navigation").click()
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Timetable", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sam's timetable")
    # On a phone: a list of days, not the grid.
    expect(page.get_by_role("table")).to_be_hidden()
    expect(page.locator(".d-md-none section").first).to_contain_text("Mathematics")
    expect(page.locator(".d-md-none section").first).to_contain_text("Room 12")
    expect(page.locator(".d-md-none section").first).to_contain_text(school.teacher_staff.full_name)
    _axe_clean(page)

    page.get_by_role("link", name="Next week").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text(f"{next_monday.day}")
    wednesday_card = page.locator(".d-md-none section").nth(2)
    expect(wednesday_card).to_contain_text("Holiday")
    expect(wednesday_card).to_contain_text("Sports day off")
    expect(wednesday_card).not_to_contain_text("Mathematics")
    expect(page).to_have_url(re.compile(rf".*\?date={next_monday.isoformat()}$"))
    expect(page.get_by_role("link", name="Print (PDF)")).to_have_attribute(
        "href", re.compile(rf".*date={next_monday.isoformat()}$")
    )

    page.get_by_label("Week of the date").fill(live.monday.isoformat())
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator(".d-md-none section").nth(2)).to_contain_text("Lab 1")
    _axe_clean(page)


def test_the_office_reads_a_sections_week_as_a_grid(page, login, admin, school, live):
    login(page, admin)
    page.goto("/timetable/week/")
    page.get_by_label("Section").select_option(label="7B")
    page.get_by_role("button", name="Show").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Section 7B")
    grid = page.get_by_role("table")
    expect(grid).to_be_visible()
    expect(grid.get_by_role("row", name="P1", exact=False)).to_contain_text("History")
    expect(grid.get_by_role("row", name="P2", exact=False)).to_contain_text("History")
    _axe_clean(page)
