"""The office opens its dashboard from the navigation: the charts are drawn, a chart's numbers open from the
keyboard as a table, the page is axe-clean, and on a 390 px phone nothing is wider than the screen."""

from __future__ import annotations

import datetime

from playwright.sync_api import expect

from tests import factories as f
from tests.attendance.reports_helpers import daily_registers, mark
from tests.browser.test_walk import AXE_JS, AXE_SOURCE, OVERFLOW_JS


def _axe_clean(page) -> None:
    page.evaluate(AXE_SOURCE + "\n;true")
    violations = page.evaluate(AXE_JS, None)
    assert violations == [], violations
    assert page.evaluate(OVERFLOW_JS) is None


def test_the_office_reads_a_chart_and_its_numbers(page, login, admin, weekday, school):
    amy = f.StudentFactory(first_name="Amy")
    f.EnrollmentFactory(student=amy, section=school.section)
    days = [weekday - datetime.timedelta(days=n) for n in range(21)]
    days = [day for day in days if day.weekday() < 5]
    mark(
        daily_registers(school.section, days),
        {(amy, day): "absent" for day in days[::4]},
        students=[school.child, amy],
    )

    login(page, admin)
    navigation = page.get_by_role("navigation", name="Main navigation")
    navigation.get_by_role("button", name="Reports").or_(
        navigation.get_by_role("link", name="Reports")
    ).click()
    navigation.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("School dashboard")

    chart = page.locator("figure.chart", has=page.get_by_text("Attendance rate by week", exact=True))
    picture = chart.get_by_role("img", name="Attendance rate by week")
    expect(picture).to_be_visible()
    expect(picture).to_have_attribute(
        "aria-labelledby", f"{chart.get_attribute('id')}-title {chart.get_attribute('id')}-desc"
    )
    expect(chart.locator("desc")).to_contain_text("highest")

    numbers = chart.get_by_role("table", name="Attendance rate by week")
    expect(numbers).to_be_hidden()
    summary = chart.get_by_text("Show the numbers")
    summary.focus()
    expect(summary).to_be_focused()
    page.keyboard.press("Enter")
    expect(numbers).to_be_visible()
    expect(numbers.get_by_role("columnheader", name="Week of the year")).to_be_visible()
    expect(numbers.get_by_role("rowheader").first).to_have_text("Week 1")
    _axe_clean(page)

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("School dashboard")
    expect(page.locator("svg.chart-svg").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _axe_clean(page)
