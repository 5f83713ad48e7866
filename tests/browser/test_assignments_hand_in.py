"""A student hands in homework like a person: finds it through the navigation, chooses a file through the
file chooser, types an answer key by key, hands in, reads the receipt, reloads; what is typed survives a
reload before handing in; a second tab is refused with nothing lost; the pages are axe-clean at 390 px."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from modules.assignments.models import Submission, SubmissionFile
from tests import factories as f
from tests.browser.test_walk import AXE_JS, AXE_SOURCE, OVERFLOW_JS

ESSAY = b"Roman roads ran straight for miles.\nThey were built by soldiers.\n"
TYPING_DELAY_MS = 40  # between keys, as a person types


@pytest.fixture
def roads(school):
    return f.AssignmentFactory(
        offering=school.offering,
        term=school.term,
        title="Roman roads",
        instructions="Read **chapter 3** and answer:\n\n1. Who built the roads?\n2. Why were they straight?",
        due_at=timezone.now() + datetime.timedelta(days=2),
    )


def _axe_clean(page) -> None:
    page.evaluate(AXE_SOURCE + "\n;true")
    violations = page.evaluate(AXE_JS, None)
    assert violations == [], violations
    assert page.evaluate(OVERFLOW_JS) is None


def test_a_student_uploads_a_file_and_types_an_answer(page, login, student, school, roads, tmp_path):
    essay = tmp_path / "my essay.txt"
    essay.write_bytes(ESSAY)
    login(page, student)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Homework").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My homework")
    page.get_by_role("link", name="Roman roads").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Roman roads")
    expect(page.locator(".sf-markdown strong")).to_have_text("chapter 3")

    with page.expect_file_chooser() as chooser:
        page.get_by_label("Files").click()
    chooser.value.set_files(str(essay))
    expect(page.locator(".js-chosen-files")).to_contain_text("my essay.txt")

    answer = page.get_by_label("Your answer or a note to your teacher (optional)")
    answer.click()
    answer.press_sequentially("Soldiers built them.", delay=TYPING_DELAY_MS)
    page.get_by_role("button", name="Hand in").click()

    expect(page.get_by_role("alert").first).to_contain_text("Handed in. Your receipt is below.")
    receipt = page.get_by_test_id("receipt")
    expect(receipt).to_contain_text("my essay.txt")
    expect(receipt).to_contain_text(hashlib.sha256(ESSAY).hexdigest())
    expect(receipt).to_contain_text("Soldiers built them.")
    expect(page.get_by_test_id("work-state")).to_have_text("Handed in")

    page.reload()
    expect(page.get_by_test_id("receipt")).to_contain_text(hashlib.sha256(ESSAY).hexdigest())
    submission = Submission.objects.get(assignment=roads, student=school.child)
    assert submission.version == 1
    assert submission.text == "Soldiers built them."
    assert [row.name for row in submission.files.all()] == ["my essay.txt"]

    # Replacing: the file is kept (ticked), the answer changed.
    expect(page.get_by_role("heading", name="Replace your hand-in")).to_be_visible()
    expect(page.get_by_label("my essay.txt")).to_be_checked()
    replaced = page.get_by_label("Your answer or a note to your teacher (optional)")
    replaced.click()
    replaced.press("End")
    replaced.press_sequentially(" And they marched on them.", delay=TYPING_DELAY_MS)
    page.get_by_role("button", name="Replace my hand-in").click()
    expect(page.get_by_test_id("receipt")).to_contain_text("hand-in number 2")
    expect(page.get_by_test_id("receipt")).to_contain_text("my essay.txt")
    expect(page.get_by_test_id("handed-in-text")).to_contain_text("And they marched on them.")


def test_what_is_typed_survives_a_reload_before_handing_in(page, login, student, school):
    assignment = f.AssignmentFactory(offering=school.offering, term=school.term, title="Poem", hand_in="text")
    login(page, student)
    page.goto(reverse("assignments:student_assignment", args=[assignment.pk]))
    answer = page.get_by_label("Your answer")
    answer.click()
    answer.press_sequentially("Roses are red", delay=TYPING_DELAY_MS)
    page.reload()
    expect(page.get_by_label("Your answer")).to_have_value("Roses are red")
    expect(page.get_by_text("The answer you were typing was kept on this device")).to_be_visible()
    page.get_by_role("button", name="Hand in").click()
    expect(page.get_by_test_id("handed-in-text")).to_contain_text("Roses are red")


def test_a_second_tab_is_refused_with_nothing_lost(page, login, student, school):
    assignment = f.AssignmentFactory(offering=school.offering, term=school.term, title="Poem", hand_in="text")
    url = reverse("assignments:student_assignment", args=[assignment.pk])
    login(page, student)
    page.goto(url)
    second = page.context.new_page()
    second.goto(url)
    page.get_by_label("Your answer").fill("From the first tab")
    page.get_by_role("button", name="Hand in").click()
    expect(page.get_by_test_id("receipt")).to_contain_text("From the first tab")

    answer = second.get_by_label("Your answer")
    answer.click()
    answer.press_sequentially("From the second tab", delay=TYPING_DELAY_MS)
    second.get_by_role("button", name="Hand in").click()
    expect(second.get_by_test_id("hand-in-error")).to_contain_text(
        "handed in again from another tab or device"
    )
    expect(second.get_by_label("Your answer")).to_have_value("From the second tab")
    expect(second.get_by_test_id("receipt")).to_contain_text("From the first tab")
    assert Submission.objects.get(assignment=assignment).text == "From the first tab"


def test_the_homework_pages_are_axe_clean_on_a_phone(phone_page, login, student, guardian, school, roads):
    done = f.AssignmentFactory(offering=school.offering, term=school.term, title="Done")
    handed = f.SubmissionFactory(
        assignment=done, student=school.child, returned_at=timezone.now(), feedback="Good.", version=2
    )
    for version, name in ((1, "first draft.txt"), (2, "final essay with a rather long name.txt")):
        row = SubmissionFile(
            submission=handed,
            version=version,
            name=name,
            size=11,
            sha256="ab" * 32,
            content_type="text/plain",
        )
        row.file.save("x.txt", ContentFile(b"Some words."), save=False)
        row.save()
    page = login(phone_page, student)
    for url in (
        reverse("assignments:student_list"),
        reverse("assignments:student_week"),
        reverse("assignments:student_assignment", args=[roads.pk]),
        reverse("assignments:student_assignment", args=[done.pk]),
        "/",
    ):
        page.goto(url)
        _axe_clean(page)
    page.context.clear_cookies()
    login(page, guardian)
    for url in (
        reverse("assignments:children"),
        reverse("assignments:child_list", args=[school.child.pk]),
        reverse("assignments:child_assignment", args=[school.child.pk, done.pk]),
        "/",
    ):
        page.goto(url)
        _axe_clean(page)
