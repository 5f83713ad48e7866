"""The office covers an absent teacher in the browser: marks Tom Teach away for the day, sees his lessons on
the cover board with the free teachers (the qualified one first), assigns cover with one click (the board
changes in place) and removes it again. The board and the form are axe-clean and fit a 390 px phone."""

from __future__ import annotations

from django.urls import reverse
from playwright.sync_api import expect

from modules.timetable.models import Cover, TeacherAbsence
from tests.browser.test_walk import AXE_JS, AXE_SOURCE, OVERFLOW_JS
from tests.timetable.cover_school import away, build

TYPING_DELAY_MS = 60


def _axe_clean(page) -> None:
    page.evaluate(AXE_SOURCE + "\n;true")
    violations = page.evaluate(AXE_JS, None)
    assert violations == [], violations
    assert page.evaluate(OVERFLOW_JS) is None


def test_the_office_marks_a_teacher_away_and_assigns_cover(page, login, admin, weekday, school):
    cs = build(school, weekday)
    login(page, admin)

    page.goto(reverse("timetable:cover_board"))
    expect(page.get_by_text("Nobody is marked away on this day.")).to_be_visible()
    page.get_by_role("link", name="Mark a teacher away").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mark a teacher away")
    page.get_by_label("Teacher").select_option(label="Tom Teach")
    expect(page.get_by_label("The whole day")).to_be_checked()
    page.get_by_label("Note (optional)").press_sequentially("Training course", delay=TYPING_DELAY_MS)
    page.get_by_role("button", name="Mark away").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Cover for absent teachers")
    expect(page.get_by_role("alert").filter(has_text="Tom Teach is marked away on")).to_be_visible()
    expect(page.locator("#cover-board")).to_contain_text("Tom Teach · the whole day — Training course")
    count = page.locator("#cover-count")
    expect(count).to_have_text("2 lessons to cover · 2 without cover yet")
    row = page.locator(f"#lesson-{cs.maths_7a.pk}")
    buttons = row.get_by_role("button")
    expect(buttons.first).to_contain_text("Assign Carla Cover")
    expect(buttons.first).to_contain_text("Teaches Mathematics")
    expect(row).not_to_contain_text("Eve Busy")

    row.get_by_role("button", name="Assign Carla Cover").click()

    expect(row).to_contain_text("Covered by Carla Cover")
    expect(page.locator("#cover-board")).to_contain_text(
        "Carla Cover covers Mathematics · 7A. They have been told."
    )
    expect(count).to_have_text("2 lessons to cover · 1 without cover yet")
    assert Cover.objects.get(lesson=cs.maths_7a, date=cs.day).teacher == cs.carla.staff_profile
    assert TeacherAbsence.objects.get(staff=school.teacher_staff, date=cs.day).note == "Training course"

    row.get_by_role("button", name="Remove cover").click()

    expect(row.get_by_role("button", name="Assign Carla Cover")).to_be_visible()
    expect(page.locator("#cover-board")).to_contain_text("Carla Cover no longer covers Mathematics · 7A.")
    assert not Cover.objects.filter(lesson=cs.maths_7a).exists()


def test_the_cover_pages_are_accessible_and_fit_a_phone(phone_page, login, admin, weekday, school):
    cs = build(school, weekday)
    away(school.teacher_staff, cs.day)
    login(phone_page, admin)

    for url in (reverse("timetable:cover_board"), reverse("timetable:cover_absence_new")):
        phone_page.goto(url)
        _axe_clean(phone_page)

    phone_page.goto(reverse("timetable:cover_absence_new"))
    phone_page.get_by_label("Some periods").check()
    phone_page.get_by_role("button", name="Mark away").click()
    expect(
        phone_page.get_by_text("Tick the periods the teacher is away, or choose the whole day.")
    ).to_be_visible()
    _axe_clean(phone_page)
