"""Layouts the walk (test_walk.py) cannot see because they appear only after a click."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_walk import OVERFLOW_JS


def test_it_keeps_a_register_row_whole_on_a_phone_while_the_minutes_are_typed(
    phone_page, login, teacher, school, weekday
):
    """A layout the walk cannot see: it appears after a click. The minutes field's focus once turned the
    whole row into a flex box, squeezing the four buttons beside the name."""
    login(phone_page, teacher)
    phone_page.get_by_role("link", name="Register 7A").click()
    row = phone_page.locator("li.register-row").first
    buttons = row.locator(".register-buttons label")
    expect(buttons).to_have_count(4)
    widths = [buttons.nth(i).bounding_box()["width"] for i in range(4)]

    buttons.filter(has_text="Late").click()
    expect(row.locator(".register-state")).to_contain_text("Saved")
    minutes = row.locator(".register-late input")
    minutes.click()
    phone_page.wait_for_timeout(300)
    minutes.press_sequentially("7", delay=80)

    expect(minutes).to_be_focused()
    assert [buttons.nth(i).bounding_box()["width"] for i in range(4)] == pytest.approx(widths, abs=1)
    assert row.evaluate("row => getComputedStyle(row).display") == "grid"
    assert phone_page.evaluate(OVERFLOW_JS) is None
