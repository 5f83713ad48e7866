"""Privacy like a person on a 390 px phone: a guardian asks for their child's data, waits for it, downloads
it once; the office reads the requests and sets the retention schedule by typing; every page axe-clean."""

from __future__ import annotations

import json
import zipfile

from django.urls import reverse
from playwright.sync_api import expect

from modules.privacy.models import RetentionRule
from tests.browser.test_walk import AXE_JS, AXE_SOURCE, OVERFLOW_JS

TYPING_DELAY_MS = 40


def _axe_clean(page) -> None:
    page.evaluate(AXE_SOURCE + "\n;true")
    violations = page.evaluate(AXE_JS, None)
    assert violations == [], violations
    assert page.evaluate(OVERFLOW_JS) is None


def test_a_guardian_gets_the_data_once_and_the_office_sets_the_schedule(
    phone_page, login, guardian, admin, school
):
    page = login(phone_page, guardian)
    page.goto(reverse("privacy:requests"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your children's data")
    _axe_clean(page)
    child = page.get_by_role("listitem").filter(has_text=school.child.full_name)
    child.get_by_role("button", name="Ask for the data").click()
    row = page.get_by_role("row").filter(has_text=school.child.full_name)
    download_link = row.get_by_role("link", name="Download (once)")
    expect(download_link).to_be_visible(timeout=30_000)
    _axe_clean(page)
    with page.expect_download() as waiting:
        download_link.click()
    archive = zipfile.ZipFile(waiting.value.path())
    data = json.loads(archive.read("data.json"))
    assert data["sections"]["profile"]["rows"][0]["last_name"] == school.child.last_name
    page.goto(reverse("privacy:requests"))
    expect(page.get_by_text("Downloaded", exact=True)).to_be_visible()

    page.context.clear_cookies()
    login(page, admin)
    page.goto(reverse("privacy:requests"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Data requests")
    expect(page.get_by_role("rowheader", name=school.child.full_name, exact=False)).to_be_visible()
    _axe_clean(page)

    page.goto(reverse("privacy:retention"))
    _axe_clean(page)
    deliveries = page.get_by_role("group", name="Email and SMS deliveries")
    deliveries.get_by_label("Apply this rule every day").check()
    period = deliveries.get_by_label("Kept for (days)")
    period.click()
    period.fill("")
    period.press_sequentially("400", delay=TYPING_DELAY_MS)
    leavers = page.get_by_role("group", name="Leavers' records")
    leavers.get_by_label("Then").select_option(label="Delete")
    page.get_by_role("button", name="Save the schedule").click()
    expect(page.get_by_text("Leavers' records can only be anonymised")).to_be_visible()
    _axe_clean(page)
    assert not RetentionRule.objects.exists()
    page.get_by_role("group", name="Leavers' records").get_by_label("Then").select_option(label="Anonymise")
    page.keyboard.press("Tab")
    page.get_by_role("button", name="Save the schedule").click()
    expect(page.get_by_text("The retention schedule is saved.")).to_be_visible()
    rule = RetentionRule.objects.get(kind="deliveries")
    assert (rule.enabled, rule.period) == (True, 400)
