"""The office generates a small school's timetable, reviews it, moves a lesson by dragging it on the board
and another through the list of free slots, and publishes it; the pages are axe-clean at 390 px."""

from __future__ import annotations

from playwright.sync_api import expect

from modules.timetable.editing import Board
from modules.timetable.models import Lesson, Timetable, TimetableStatus
from tests.browser.test_walk import AXE_JS, AXE_SOURCE, OVERFLOW_JS
from tests.timetable.drafts_school import hand_made_draft, small_school

TYPING_DELAY_MS = 40  # between keys, as a person types


def _axe_clean(page) -> None:
    page.evaluate(AXE_SOURCE + "\n;true")
    violations = page.evaluate(AXE_JS, None)
    assert violations == [], violations
    assert page.evaluate(OVERFLOW_JS) is None


def test_the_office_generates_reviews_moves_a_lesson_and_publishes(page, login, admin, school):
    small = small_school(school)
    login(page, admin)
    page.goto("/timetable/timetables/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Timetables")

    name = page.get_by_label("Name")
    name.click()
    name.press_sequentially("Autumn draft", delay=TYPING_DELAY_MS)
    page.get_by_role("button", name="Generate").click()

    expect(page.get_by_role("status")).to_contain_text("Finished")
    expect(page.get_by_text("Every lesson was placed.")).to_be_visible()
    page.get_by_role("link", name="Review the timetable").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Autumn draft")
    expect(page.get_by_text("Soft score")).to_be_visible()
    board = page.get_by_role("table", name="The week of 7A")
    expect(board).to_be_visible()

    # Drag a maths lesson to a free slot of the board.
    timetable = Timetable.objects.get(name="Autumn draft")
    maths = (
        timetable.lessons.filter(offering=small.maths, length=1).order_by("weekday", "period__order").first()
    )
    free = Board(timetable).valid_slots(maths)[0]
    lesson_card = page.locator(f"#lesson-{maths.pk}")
    target = page.locator(f'td[data-weekday="{free.weekday}"][data-period="{free.period.pk}"]')
    lesson_card.drag_to(target)

    expect(
        page.get_by_text(f"Mathematics · 7A moved to {free.weekday_name} {free.period.name}.")
    ).to_be_visible()
    maths.refresh_from_db()
    assert (maths.weekday, maths.period_id) == (free.weekday, free.period.pk)

    # Without dragging: the lesson's Move button lists only the free slots.
    english = timetable.lessons.filter(offering=small.english).order_by("weekday", "period__order").first()
    page.locator(f"#lesson-{english.pk}").get_by_role("link", name="Move").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Move English · 7A")
    first_slot = page.get_by_role("group", name="Free slots").get_by_role("button").first
    chosen = first_slot.inner_text()
    first_slot.click()
    expect(page.get_by_text("English · 7A moved to")).to_be_visible()
    english.refresh_from_db()
    assert chosen.startswith(f"{english.get_weekday_display()} {english.period.name}")

    page.get_by_role("link", name="Publish").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish Autumn draft")
    page.get_by_label("In effect from").fill(school.year.start_date.isoformat())
    page.get_by_role("button", name="Publish").click()

    expect(page.get_by_text("Autumn draft is published.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Autumn draft")
    expect(row).to_contain_text("Live")
    timetable.refresh_from_db()
    assert timetable.status == TimetableStatus.PUBLISHED
    assert (
        Lesson.objects.in_effect_on(school.year.start_date).exists() or school.year.start_date.weekday() > 4
    )


def test_the_timetables_pages_are_axe_clean_on_a_phone(phone_page, login, admin, school):
    draft = hand_made_draft(school)
    page = phone_page
    login(page, admin)
    for url in [
        "/timetable/timetables/",
        f"/timetable/timetables/{draft.timetable.pk}/",
        f"/timetable/timetables/{draft.timetable.pk}/lessons/{draft.maths.pk}/move/",
        f"/timetable/timetables/{draft.timetable.pk}/changes/",
        f"/timetable/timetables/{draft.timetable.pk}/publish/",
    ]:
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        _axe_clean(page)
