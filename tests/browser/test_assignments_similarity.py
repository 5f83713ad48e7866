"""A copied essay is flagged: the teacher runs the similarity check from the inbox, sees the pair flagged,
opens it side by side and finds the shared passage marked in both texts; the flag shows in the inbox."""

from __future__ import annotations

import datetime
import re

from django.utils import timezone
from playwright.sync_api import expect

from tests import factories as f
from tests.assignments.similarity_texts import EDITED_COPY, ESSAY, INSTRUCTIONS, SCIENCE_ESSAY
from tests.browser.test_walk import AXE_JS, AXE_SOURCE


def _axe_clean(page) -> None:
    page.evaluate(AXE_SOURCE + "\n;true")
    assert page.evaluate(AXE_JS, None) == []


def test_a_copied_essay_is_flagged_with_the_shared_passage_shown(page, phone_page, login, teacher, school):
    now = timezone.now()
    essay = f.AssignmentFactory(
        offering=school.offering,
        term=school.term,
        title="The French Revolution",
        instructions=INSTRUCTIONS,
        opens_at=now - datetime.timedelta(days=8),
        due_at=now - datetime.timedelta(days=1),
    )
    casey = f.StudentFactory(first_name="Casey", last_name="Copy")
    f.EnrollmentFactory(student=casey, section=school.section)
    robin = f.StudentFactory(first_name="Robin", last_name="Own")
    f.EnrollmentFactory(student=robin, section=school.section)
    f.SubmissionFactory(assignment=essay, student=school.child, text=ESSAY)
    f.SubmissionFactory(assignment=essay, student=casey, text=EDITED_COPY)
    f.SubmissionFactory(assignment=essay, student=robin, text=SCIENCE_ESSAY)

    login(page, teacher)
    page.goto(f"/homework/inbox/{essay.pk}/")
    page.get_by_role("link", name="Similarity check").click()
    expect(page.get_by_text("Not checked yet.")).to_be_visible()
    page.get_by_role("button", name="Check now").click()

    # The check runs on the queue; the results replace the progress when it is done.
    row = page.get_by_role("row").filter(has_text="Casey Copy")
    expect(row).to_contain_text("Sam Parent")
    expect(row).to_contain_text("Flagged")
    expect(page.get_by_role("row").filter(has_text="Robin Own")).to_have_count(0)
    expect(page.get_by_role("button", name="Check again now")).to_be_enabled()
    _axe_clean(page)

    row.get_by_role("link", name=re.compile("Side by side")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Side by side")
    left = page.locator("section").filter(has=page.get_by_role("heading", name="Casey Copy"))
    right = page.locator("section").filter(has=page.get_by_role("heading", name="Sam Parent"))
    shared = "declared themselves a National Assembly and swore not to part until France had a constitution"
    expect(left.locator("mark").filter(has_text=shared)).to_have_count(1)
    expect(right.locator("mark").filter(has_text=shared)).to_have_count(1)
    # Each side's own words are not marked.
    expect(left.locator("mark").filter(has_text="the debt was the real cause")).to_have_count(0)
    expect(right.locator("mark").filter(has_text="ordinary families into the street")).to_have_count(0)
    _axe_clean(page)

    # A passage's number leads to the same passage in the other text.
    number = left.locator("mark").filter(has_text=shared).locator("a")
    target = number.get_attribute("href")
    number.click()
    expect(page).to_have_url(re.compile(f"{target}$"))

    # Back in the inbox, both hand-ins of the pair are flagged, the honest one is not.
    page.goto(f"/homework/inbox/{essay.pk}/")
    flagged = (
        page.get_by_role("row").filter(has_text="Copy, Casey").get_by_role("link", name=re.compile("similar"))
    )
    expect(flagged).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Own, Robin")).to_contain_text("0%")

    # On a phone the two texts stack and the page fits the screen.
    login(phone_page, teacher)
    phone_page.goto(f"/homework/similarity/{essay.pk}/")
    phone_page.get_by_role("link", name=re.compile("Side by side")).first.click()
    expect(phone_page.locator("mark").first).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
