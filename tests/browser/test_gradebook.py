"""A teacher enters a column of 30 marks with the keyboard, pastes another column copied from a spreadsheet,
sees the averages and letters follow, and sees a wrong value refused in its cell with what they typed kept."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from modules.exams.models import Mark
from tests import factories as f
from tests.exams.test_gradebook import scale_for


@pytest.fixture
def pupils(school) -> list:
    """7A has 30 students: Sam Parent first, then Pupil01..Pupil29."""
    pupils = [school.child]
    for number in range(1, 30):
        pupil = f.StudentFactory(first_name=f"Kid{number:02d}", last_name=f"Pupil{number:02d}")
        f.EnrollmentFactory(student=pupil, section=school.section)
        pupils.append(pupil)
    return pupils


def test_a_teacher_enters_and_pastes_marks(page, login, teacher, school, pupils):
    scale_for(school.section.grade_level)
    quiz = f.AssessmentFactory(offering=school.offering, term=school.term, name="Quiz A", max_score=20)
    test = f.AssessmentFactory(offering=school.offering, term=school.term, name="Test B", max_score=20)
    login(page, teacher)
    page.goto(reverse("exams:gradebook", args=[school.offering.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mathematics · 7A")
    expect(page.locator("#gb-keys")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(30)
    expect(page.locator("form[data-gradebook]")).to_have_attribute("data-ready", "true")  # keys are heard

    # A column typed with the keyboard: value, Enter (moves down).
    page.locator(f"#m-{pupils[0].pk}-{quiz.pk}").click()
    scores = [str(10 + n % 10) for n in range(30)]
    for score in scores:
        page.keyboard.type(score)
        page.keyboard.press("Enter")
    # 30 saves go one after another (one queue for the grid): wait as long as a busy machine needs.
    expect(page.locator(f"#avg-{pupils[29].pk}")).to_contain_text("95.0%", timeout=30_000)
    expect(page.locator(f"#avg-{pupils[0].pk}")).to_contain_text("50.0%")
    expect(page.locator(f"#avg-{pupils[0].pk}")).to_contain_text("C")

    # Another column pasted from a spreadsheet (newline separated), starting at the first student.
    first = page.locator(f"#m-{pupils[0].pk}-{test.pk}")
    first.click()
    pasted = "\r\n".join(["20"] * 30) + "\r\n"
    first.evaluate(
        """(input, text) => {
            const data = new DataTransfer();
            data.setData("text/plain", text);
            const init = {clipboardData: data, bubbles: true, cancelable: true};
            input.dispatchEvent(new ClipboardEvent("paste", init));
        }""",
        pasted,
    )
    expect(page.locator(f"#avg-{pupils[29].pk}")).to_contain_text("97.5%", timeout=30_000)
    expect(page.locator(f"#avg-{pupils[0].pk}")).to_contain_text("75.0%")
    expect(page.locator(f"#avg-{pupils[0].pk}")).to_contain_text("B")
    expect(page.locator(f"#m-{pupils[29].pk}-{test.pk}")).to_have_value("20")

    # A wrong value: refused in its cell, what was typed stays, the saved mark is unchanged.
    cell = page.locator(f"#m-{pupils[3].pk}-{quiz.pk}")
    cell.click()
    cell.fill("25")
    page.keyboard.press("Enter")
    expect(page.locator(f"#c-{quiz.pk}-{pupils[3].pk} .gb-error")).to_have_text(
        "25 is above the maximum of 20."
    )
    expect(page.locator(f"#m-{pupils[3].pk}-{quiz.pk}")).to_have_value("25")
    expect(page.locator(f"#m-{pupils[3].pk}-{quiz.pk}")).to_have_attribute("aria-invalid", "true")

    assert Mark.objects.filter(assessment=quiz).count() == 30
    assert Mark.objects.filter(assessment=test, score=20).count() == 30
    assert Mark.objects.get(assessment=quiz, student=pupils[3]).score == Decimal(scores[3])


@pytest.fixture
def second_page(browser, live_server):
    """Another person's browser (its own cookies): the office, on the same class at the same time."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_two_people_on_one_cell_see_each_others_mark_instead_of_losing_it(
    page, second_page, login, teacher, admin, school
):
    quiz = f.AssessmentFactory(offering=school.offering, term=school.term, name="Quiz A", max_score=20)
    f.MarkFactory(assessment=quiz, student=school.child, score=11)
    grid = reverse("exams:gradebook", args=[school.offering.pk])
    login(page, teacher)
    login(second_page, admin)
    page.goto(grid)
    second_page.goto(grid)
    cell_id = f"#m-{school.child.pk}-{quiz.pk}"

    # The teacher saves 14, then corrects it to 15 (a second save of the same cell is not a conflict).
    mine = page.locator(cell_id)
    mine.click()
    mine.fill("14")
    page.keyboard.press("Enter")
    expect(page.locator(f"#avg-{school.child.pk}")).to_contain_text("70.0%")
    mine = page.locator(cell_id)
    mine.click()
    mine.fill("15")
    page.keyboard.press("Enter")
    expect(page.locator(f"#avg-{school.child.pk}")).to_contain_text("75.0%")
    expect(page.locator(f"#c-{quiz.pk}-{school.child.pk} .gb-error")).to_have_count(0)

    # The office still sees 11 and types 9 in the same cell: refused, the teacher's 15 shown, the 9 kept.
    theirs = second_page.locator(cell_id)
    expect(theirs).to_have_value("11")
    theirs.click()
    second_page.keyboard.press("Control+A")
    second_page.keyboard.type("9")
    second_page.keyboard.press("Enter")
    error = second_page.locator(f"#c-{quiz.pk}-{school.child.pk} .gb-error")
    expect(error).to_contain_text("Someone else changed this mark to “15” since you opened the page.")
    expect(second_page.locator(cell_id)).to_have_value("9")
    expect(second_page.locator("#gb-live")).to_contain_text("Someone else changed this mark")
    assert Mark.objects.get(assessment=quiz, student=school.child).score == 15

    # Having seen it, the office saves theirs on purpose.
    error.get_by_role("button", name="Save mine").click()
    expect(second_page.locator(f"#c-{quiz.pk}-{school.child.pk} .gb-error")).to_have_count(0)
    expect(second_page.locator(f"#avg-{school.child.pk}")).to_contain_text("45.0%")
    expect(second_page.locator(cell_id)).to_have_value("9")
    assert Mark.objects.get(assessment=quiz, student=school.child).score == 9
