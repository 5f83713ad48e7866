"""The teacher marks homework with the keyboard and returns it: the marks appear in the gradebook and on the
guardian's page; the zip holds every file; two tabs do not overwrite each other; the inbox and the marking
page are axe-clean and fit a 390 px phone."""

from __future__ import annotations

import datetime
import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from modules.assignments.models import Submission
from modules.exams.models import Mark
from tests import factories as f
from tests.assignments.inbox_fixtures import graded_homework, hand_in_file, pupil
from tests.browser.test_walk import AXE_JS, AXE_SOURCE, OVERFLOW_JS


@pytest.fixture
def essay(school):
    """Three students of 7A in name order: Lee Late (a file, two days late), Max Missing (nothing), Sam
    Parent (typed, on time)."""
    assignment = graded_homework(school, title="Essay on light")
    due = assignment.due_at
    f.SubmissionFactory(
        assignment=assignment,
        student=school.child,
        text="Plants turn light into sugar.",
        submitted_at=due - datetime.timedelta(hours=3),
    )
    lee = pupil(school, "Lee", "Late", "A-0101")
    late = f.SubmissionFactory(
        assignment=assignment,
        student=lee,
        text="",
        submitted_at=due + datetime.timedelta(days=1, hours=1),
        is_late=True,
        days_late=2,
    )
    hand_in_file(late, "essay.txt", b"Late but thorough.")
    hand_in_file(late, "sources.txt", b"Encyclopaedia, page 4.")
    pupil(school, "Max", "Missing", "A-0102")
    return assignment


def _axe_clean(page) -> None:
    page.evaluate(AXE_SOURCE + "\n;true")
    violations = page.evaluate(AXE_JS, None)
    assert violations == [], violations
    assert page.evaluate(OVERFLOW_JS) is None


def test_a_teacher_marks_with_the_keyboard_and_returns(page, login, teacher, guardian, school, essay):
    login(page, teacher)
    page.goto(reverse("assignments:inbox", args=[essay.pk]))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Essay on light")
    expect(page.locator("tbody tr")).to_have_count(3)
    expect(page.locator("#row-" + str(school.child.pk))).to_contain_text("Handed in")

    page.get_by_role("link", name="Late, Lee").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lee Late")
    expect(page.locator("#hand-in-files")).to_contain_text("essay.txt")
    expect(page.locator("form[data-marking]")).to_have_attribute("data-ready", "true")
    expect(page.get_by_label("Score (out of 20)")).to_be_focused()  # typing starts at once
    page.keyboard.type("15")
    page.keyboard.press("Tab")
    page.keyboard.type("Thorough, but two days late.")
    page.keyboard.press("Control+Enter")  # save and next

    expect(page.get_by_role("heading", level=1)).to_contain_text("Max Missing")
    expect(page.get_by_role("alert").first).to_contain_text("Saved for Lee.")
    expect(page.get_by_label("Score (out of 20)")).to_be_focused()
    page.keyboard.type("0")
    page.keyboard.press("Control+Enter")

    expect(page.get_by_role("heading", level=1)).to_contain_text("Sam Parent")
    expect(page.locator(".inbox-answer")).to_contain_text("Plants turn light into sugar.")
    page.keyboard.type("18")
    page.keyboard.press("Tab")
    page.keyboard.type("Clear.")
    page.keyboard.press("Control+Enter")  # the last student: saves and stays
    expect(page.get_by_role("alert").first).to_contain_text("Saved for Sam.")

    page.reload()  # what was saved is what the page shows
    expect(page.get_by_label("Score (out of 20)")).to_have_value("18")
    expect(page.get_by_label("Feedback", exact=True)).to_have_value("Clear.")

    # A wrong score is refused in place, what was typed kept.
    page.get_by_label("Score (out of 20)").fill("25")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#score-error")).to_have_text("25 is above the maximum of 20.")
    expect(page.get_by_label("Score (out of 20)")).to_have_value("25")
    assert Submission.objects.get(assignment=essay, student=school.child).raw_score == 18

    # Return everything from the inbox.
    page.get_by_role("link", name="Essay on light · 7A").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Return all 3 marked").click()
    expect(page.get_by_role("alert").first).to_contain_text("3 pieces of work returned")
    lee_row = page.locator("#row-" + str(Submission.objects.get(assignment=essay, is_late=True).student_id))
    expect(lee_row).to_contain_text("12 / 20")  # 15 less 2 days × 10%
    expect(lee_row).to_contain_text("15 less 20% for lateness")
    assert Mark.objects.filter(assessment=essay.assessment).count() == 3

    # The gradebook's column is the homework, with its marks.
    page.goto(reverse("exams:gradebook", args=[school.offering.pk]))
    expect(page.locator(f"#m-{school.child.pk}-{essay.assessment_id}")).to_have_value("18")
    expect(page.locator(".gb-homework")).to_have_count(1)

    # The guardian sees the mark, with the child's homework and in the gradebook's grades.
    page.context.clear_cookies()
    login(page, guardian)
    page.goto(reverse("assignments:child_list", args=[school.child.pk]))
    marked = page.locator("section[aria-labelledby=marked-heading]")
    expect(marked).to_contain_text("Essay on light")
    expect(marked).to_contain_text("18")
    page.goto(reverse("exams:child_grades", args=[school.child.pk]))
    expect(page.locator("main")).to_contain_text("Essay on light")
    expect(page.locator("main")).to_contain_text("18")


def test_the_zip_holds_every_hand_in(page, login, teacher, school, essay):
    login(page, teacher)
    page.goto(reverse("assignments:inbox", args=[essay.pk]))
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download every hand-in (zip)").click()
    download = waiting.value
    assert download.suggested_filename == "Essay on light - Mathematics 7A.zip"
    with open(download.path(), "rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    assert sorted(archive.namelist()) == [
        "Late, Lee (A-0101)/essay.txt",
        "Late, Lee (A-0101)/sources.txt",
        "Parent, Sam (A-0001)/answer.txt",
    ]
    assert archive.read("Late, Lee (A-0101)/sources.txt") == b"Encyclopaedia, page 4."


def test_two_tabs_do_not_overwrite_each_other(page, login, teacher, school, essay):
    login(page, teacher)
    url = reverse("assignments:inbox_mark", args=[essay.pk, school.child.pk])
    page.goto(url)
    other = page.context.new_page()
    other.goto(url)

    page.get_by_label("Score (out of 20)").fill("14")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("alert").first).to_contain_text("Saved for Sam.")

    other.get_by_label("Score (out of 20)").fill("11")
    other.get_by_role("button", name="Save", exact=True).click()
    expect(other.locator("#score-error")).to_contain_text("Someone else changed the score to “14”")
    expect(other.get_by_label("Score (out of 20)")).to_have_value("11")
    assert Submission.objects.get(assignment=essay, student=school.child).raw_score == 14

    other.get_by_role("button", name="Save", exact=True).click()  # again, on purpose
    expect(other.get_by_role("alert").first).to_contain_text("Saved for Sam.")
    assert Submission.objects.get(assignment=essay, student=school.child).raw_score == 11


def test_the_inbox_and_marking_fit_a_phone(phone_page, login, teacher, school, essay):
    Submission.objects.filter(assignment=essay, student=school.child).update(
        raw_score=12, marked_at=timezone.now(), similarity_percent=55
    )
    page = login(phone_page, teacher)
    page.goto(reverse("assignments:inbox", args=[essay.pk]))
    expect(page.locator("tbody tr")).to_have_count(3)
    _axe_clean(page)
    lee = Submission.objects.get(assignment=essay, is_late=True).student_id
    page.goto(reverse("assignments:inbox_mark", args=[essay.pk, lee]))
    expect(page.locator("form[data-marking]")).to_have_attribute("data-ready", "true")
    _axe_clean(page)
    page.get_by_label("Score (out of 20)").fill("abc")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#score-error")).to_be_visible()
    _axe_clean(page)
