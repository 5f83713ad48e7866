"""What a parent reads on a phone: the child's attendance rate counted the one way (an excused absence is time
missed), with how it is counted, and marks as words ("Excused"), not the gradebook's codes."""

from __future__ import annotations

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from tests import factories as f


def test_it_shows_a_parent_the_rate_and_the_marks_in_words(phone_page, login, guardian, school):
    today = timezone.localdate()
    f.TermFactory(year=school.year, name="Autumn", start_date=today - datetime.timedelta(days=30))
    # 2 present, 1 late, 1 excused, 1 absent: 3 of 5 attended (60.0 %), not 4 of 5.
    for offset, status in enumerate(["present", "present", "late", "excused", "absent"], start=1):
        day = today - datetime.timedelta(days=offset)
        register = f.RegisterFactory(section=school.section, date=day, state="submitted")
        f.AttendanceRecordFactory(register=register, student=school.child, status=status, date=day)
    essay = f.AssessmentFactory(
        offering=school.offering, term=school.term, name="Essay", max_score=10, published_at=timezone.now()
    )
    f.MarkFactory(assessment=essay, student=school.child, score=None, code="ex")

    page = phone_page
    login(page, guardian)
    page.get_by_role("link", name="Sam's attendance").click()
    expect(page.get_by_role("heading", name="Attendance this term (Autumn)")).to_be_visible()
    expect(page.locator("#attendance-rate")).to_have_text("60.0%")
    expect(page.get_by_text("present or late in 3 of 5 registers taken")).to_be_visible()
    expect(page.locator("#rate-definition")).to_contain_text("an excused absence")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.go_back()
    page.get_by_role("link", name="Sam's grades").click()
    row = page.get_by_role("row", name="Essay")
    expect(row).to_contain_text("Excused")
    expect(row).not_to_contain_text("ex /")
    expect(row).not_to_contain_text("/ 10")
