"""The live grids (the register and the gradebook) keep what a person types: a prefilled number is replaced by
what is typed whichever way the field got focus, a save that lands late does not overwrite the field, every
row and cell says saving / saved / refused, leaving with work not saved asks first (full and htmx navigation),
marking a register or having a mark refused logs nothing in the browser's console, and (one mechanism for
both grids, static/js/live_grid.js) a save that does not arrive is retried until it lands while one refused
for good (403) is said and not retried."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from modules.attendance.models import AttendanceRecord, Register
from modules.exams.models import Mark
from tests import factories as f
from tests.browser.test_register import counter, pupils  # noqa: F401 (fixtures)
from tests.exams.test_gradebook import scale_for

# Every content-security-policy refusal (an inline style, a script) is kept where the test can read it.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.sourceFile}:${event.lineNumber}`);
});
"""


def console_problems(page) -> list[str]:
    """What the page logs as an error from now on: console errors, uncaught script errors."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.add_init_script(CSP_LISTENER)
    return problems


def wait_for(page, read, expected, tries=50):
    """Poll the database (the save is asynchronous) until `read()` is `expected`; the last value read."""
    value = read()
    for _attempt in range(tries):
        if value == expected:
            break
        page.wait_for_timeout(200)
        value = read()
    return value


class Held:
    """Holds the answers to the requests of a route until released: a slow network, on demand."""

    def __init__(self, page, pattern: str):
        self.holding, self.routes = True, []
        page.route(pattern, self._handle)

    def _handle(self, route):
        if self.holding:
            self.routes.append(route)
        else:
            route.continue_()

    def wait(self, page, count=1):
        for _attempt in range(50):
            if len(self.routes) >= count:
                return
            page.wait_for_timeout(100)
        raise AssertionError(f"{count} request(s) expected, {len(self.routes)} held")

    def release(self):
        self.holding = False
        routes, self.routes = self.routes, []
        for route in routes:
            route.continue_()


# --- the register -------------------------------------------------------------------------------------------


@pytest.fixture
def register(school, weekday):
    return Register.objects.get_or_create(kind="daily", section=school.section, date=weekday)[0]


def minutes_of(register, student):
    record = AttendanceRecord.objects.filter(register=register, student=student).first()
    return record.late_minutes if record else None


def focus_minutes_with_m(page, row, name):
    row.focus()
    page.keyboard.press("m")


def focus_minutes_by_clicking(page, row, name):
    page.get_by_role("group", name=name).get_by_text("Late", exact=True).click()
    page.wait_for_timeout(600)  # the late mark is saved and its row swapped back in meanwhile
    page.get_by_label(f"Minutes late ({name})").click()


def focus_minutes_with_tab(page, row, name):
    page.get_by_role("group", name=name).get_by_text("Late", exact=True).click()
    page.wait_for_timeout(600)
    page.keyboard.press("Tab")  # from the status buttons to the minutes field


@pytest.mark.parametrize(
    "focus_minutes",
    [focus_minutes_with_m, focus_minutes_by_clicking, focus_minutes_with_tab],
    ids=["m key", "click Late then the field", "Tab"],
)
def test_the_minutes_typed_replace_what_the_field_shows(
    focus_minutes,
    page,
    login,
    teacher,
    school,
    pupils,  # noqa: F811
    register,
):
    login(page, teacher)
    page.goto(f"/attendance/registers/{register.pk}/")
    rows = page.locator("li.register-row")
    name = "Kid02 Pupil02"
    focus_minutes(page, rows.nth(2), name)
    field = page.get_by_label(f"Minutes late ({name})")
    expect(field).to_be_focused()
    # Wait a moment: the late mark lands (0 minutes) and the row comes back with the field showing 0.
    expect(field).to_have_value("0")
    page.wait_for_timeout(500)
    expect(field).to_be_focused()
    field.press_sequentially("7", delay=80)
    page.keyboard.press("Enter")
    assert wait_for(page, lambda: minutes_of(register, pupils[1]), 7) == 7
    expect(rows.nth(2).locator(".register-state")).to_have_text(re.compile("Saved"))
    expect(field).to_have_value("7")  # what is saved is what the field shows
    page.reload()
    expect(page.get_by_label(f"Minutes late ({name})")).to_have_value("7")
    expect(counter(page, "late")).to_have_text("1")


def test_minutes_already_saved_are_replaced_by_what_is_typed_after_a_click(
    page,
    login,
    teacher,
    school,
    pupils,  # noqa: F811
    register,
):
    f.AttendanceRecordFactory(register=register, student=pupils[0], status="late", late_minutes=10)
    login(page, teacher)
    page.goto(f"/attendance/registers/{register.pk}/")
    field = page.get_by_label("Minutes late (Kid01 Pupil01)")
    expect(field).to_have_value("10")
    field.click()  # the caret would land in the middle of "10"
    page.wait_for_timeout(300)
    field.press_sequentially("7", delay=80)
    page.keyboard.press("Enter")
    assert wait_for(page, lambda: minutes_of(register, pupils[0]), 7) == 7
    expect(page.get_by_label("Minutes late (Kid01 Pupil01)")).to_have_value("7")


def test_a_late_mark_landing_while_the_minutes_are_typed_does_not_overwrite_them(
    page,
    login,
    teacher,
    school,
    pupils,  # noqa: F811
    register,
):
    login(page, teacher)
    held = Held(page, "**/mark/")  # before the page opens: a route set after may miss the first request
    page.goto(f"/attendance/registers/{register.pk}/")
    rows = page.locator("li.register-row")
    rows.nth(1).focus()
    page.keyboard.press("m")  # marks late (held on a slow network) and opens the minutes field
    held.wait(page)
    field = page.get_by_label("Minutes late (Kid01 Pupil01)")
    expect(rows.nth(1)).to_have_attribute("data-unsaved", "")
    field.press_sequentially("1", delay=80)
    held.release()  # the late mark lands (0 minutes) in the middle of the typing
    expect(rows.nth(1).locator(".register-state")).to_have_text(re.compile("Saved"))
    expect(field).to_have_value("1")
    field.press_sequentially("2", delay=80)
    page.keyboard.press("Enter")
    assert wait_for(page, lambda: minutes_of(register, pupils[0]), 12) == 12
    expect(page.get_by_label("Minutes late (Kid01 Pupil01)")).to_have_value("12")
    expect(rows.nth(1)).not_to_have_attribute("data-unsaved", "")
    page.reload()
    expect(page.get_by_label("Minutes late (Kid01 Pupil01)")).to_have_value("12")


def test_minutes_that_are_not_a_number_are_refused_not_replaced(
    page,
    login,
    teacher,
    school,
    pupils,  # noqa: F811
    register,
):
    login(page, teacher)
    page.goto(f"/attendance/registers/{register.pk}/")
    page.locator("li.register-row").nth(1).focus()
    page.keyboard.press("m")
    field = page.get_by_label("Minutes late (Kid01 Pupil01)")
    expect(field).to_have_value("0")
    field.press_sequentially("7e", delay=80)
    page.keyboard.press("Enter")
    state = page.locator(f"#row-{pupils[0].pk} .register-state")
    expect(state).to_contain_text("Minutes late must be a whole number between 0 and 240.")
    expect(page.get_by_label("Minutes late (Kid01 Pupil01)")).to_have_value("7e")
    assert minutes_of(register, pupils[0]) == 0


def test_leaving_the_register_with_a_row_not_saved_asks_first(
    page,
    login,
    teacher,
    school,
    pupils,  # noqa: F811
    register,
):
    login(page, teacher)
    held = Held(page, "**/mark/")
    page.goto(f"/attendance/registers/{register.pk}/")
    dialogs = []

    def on_dialog(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.keyboard.press("a")  # Sam absent, still on its way
    held.wait(page)
    expect(page.locator(f"#row-{school.child.pk}")).to_have_class(re.compile("is-saving"))
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Registers").click()
    for _attempt in range(20):
        if dialogs:
            break
        page.wait_for_timeout(100)
    assert dialogs == ["beforeunload"]
    expect(page.get_by_role("heading", level=1)).to_have_text("Register 7A")  # still here

    held.release()
    expect(counter(page, "absent")).to_have_text("1")
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Registers").click()
    page.wait_for_url(re.compile(r"/attendance/registers/\?date="))
    assert dialogs == ["beforeunload"]  # nothing left to lose: no question
    assert AttendanceRecord.objects.get(register=register, student=school.child).status == "absent"


def test_marking_a_register_and_a_refused_mark_log_no_console_error(
    page,
    login,
    teacher,
    school,
    pupils,  # noqa: F811
    register,
):
    problems = console_problems(page)
    login(page, teacher)
    page.goto(f"/attendance/registers/{register.pk}/")
    page.keyboard.press("a")
    expect(counter(page, "absent")).to_have_text("1")
    page.keyboard.press("j")
    page.keyboard.press("m")
    page.keyboard.type("5", delay=80)
    page.keyboard.press("Enter")
    expect(counter(page, "late")).to_have_text("1")
    page.get_by_role("group", name="Kid02 Pupil02").get_by_text("Excused", exact=True).click()
    expect(counter(page, "excused")).to_have_text("1")
    # A refused mark: 500 minutes.
    field = page.get_by_label("Minutes late (Kid01 Pupil01)")
    field.click()
    field.press_sequentially("500", delay=80)
    page.keyboard.press("Enter")
    state = page.locator(f"#row-{pupils[0].pk} .register-state")
    expect(state).to_contain_text("Minutes late must be a whole number")
    expect(page.locator("#register-live")).to_contain_text("Minutes late must be a whole number")
    # Corrected, it lands.
    field = page.get_by_label("Minutes late (Kid01 Pupil01)")
    field.click()
    field.press_sequentially("15", delay=80)
    page.keyboard.press("Enter")
    assert wait_for(page, lambda: minutes_of(register, pupils[0]), 15) == 15
    expect(state).to_have_text(re.compile("Saved"))
    page.wait_for_timeout(300)
    assert problems == []
    assert page.evaluate("window.__cspViolations") == []


def test_a_row_changed_while_its_save_is_on_the_way_saves_again_after_it_in_order(
    page,
    login,
    teacher,
    school,
    pupils,  # noqa: F811
    register,
):
    """One save of a row at a time, the last change winning: a second change waits in the browser for the
    first save's answer. Sent at once beside it (as it was when a row's new classes made htmx forget the row's
    queue), the two could land in either order and the first answer swapped the row out from under the
    second (its counters then had nowhere to go: htmx:oobErrorNoTarget in the console)."""
    problems = console_problems(page)
    login(page, teacher)
    held = Held(page, "**/mark/")  # before the page opens: a route set after may miss the first request
    page.goto(f"/attendance/registers/{register.pk}/")
    row = page.locator(f"#row-{pupils[0].pk}")
    row.focus()
    page.keyboard.press("a")
    held.wait(page)
    page.keyboard.press("l")
    page.keyboard.press("e")
    page.wait_for_timeout(600)
    assert len(held.routes) == 1  # the later changes wait for the first answer
    expect(row).to_have_attribute("data-unsaved", "")
    held.release()
    expect(counter(page, "excused")).to_have_text("1")
    expect(counter(page, "absent")).to_have_text("0")
    expect(page.locator(f"#row-{pupils[0].pk} .register-state")).to_have_text(re.compile("Saved"))
    assert (
        wait_for(
            page, lambda: AttendanceRecord.objects.get(register=register, student=pupils[0]).status, "excused"
        )
        == "excused"
    )
    page.wait_for_timeout(300)
    assert problems == []


@pytest.fixture
def second_page(browser, live_server):
    """Another person's browser (its own cookies): the office, on the same register at the same time."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_saving_a_refused_row_twice_in_a_hurry_logs_no_console_error(
    page,
    second_page,
    login,
    teacher,
    admin,
    school,
    register,
):
    login(page, teacher)
    login(second_page, admin)
    page.goto(f"/attendance/registers/{register.pk}/")
    second_page.goto(f"/attendance/registers/{register.pk}/")
    problems = console_problems(second_page)
    page.keyboard.press("a")
    expect(counter(page, "absent")).to_have_text("1")
    # The office, on its page drawn before, marks Sam late: refused, the teacher's mark said.
    second_page.get_by_role("group", name="Sam Parent").get_by_text("Late", exact=True).click()
    state = second_page.locator(f"#row-{school.child.pk} .register-state")
    expect(state).to_contain_text("Someone else changed this row")
    # "Save mine", clicked twice in a hurry: the second save waits for the first and lands on the row shown.
    second_page.get_by_role("button", name="Save mine (Sam Parent)").dblclick()
    expect(state).to_have_text(re.compile("Saved"))
    expect(counter(second_page, "late")).to_have_text("1")
    expect(counter(second_page, "absent")).to_have_text("0")
    second_page.wait_for_timeout(500)
    assert AttendanceRecord.objects.get(register=register, student=school.child).status == "late"
    assert problems == []


# --- the gradebook ------------------------------------------------------------------------------------------


@pytest.fixture
def quiz(school):
    scale_for(school.section.grade_level)
    quiz = f.AssessmentFactory(offering=school.offering, term=school.term, name="Quiz A", max_score=20)
    second = f.StudentFactory(first_name="Zoe", last_name="Zed")
    f.EnrollmentFactory(student=second, section=school.section)
    f.MarkFactory(assessment=quiz, student=school.child, score=11)
    f.MarkFactory(assessment=quiz, student=second, score=12)
    quiz.second = second
    return quiz


def score_of(quiz, student):
    mark = Mark.objects.filter(assessment=quiz, student=student).first()
    return mark.score if mark else None


def test_a_mark_typed_over_a_prefilled_cell_replaces_it(page, login, teacher, school, quiz):
    login(page, teacher)
    held = Held(page, "**/cell/")
    page.goto(reverse("exams:gradebook", args=[school.offering.pk]))
    first = page.locator(f"#m-{school.child.pk}-{quiz.pk}")
    second = page.locator(f"#m-{quiz.second.pk}-{quiz.pk}")
    cell = page.locator(f"#c-{quiz.pk}-{school.child.pk}")

    # By a click, in the middle of the "11": what is typed replaces it.
    first.click()
    page.wait_for_timeout(300)
    first.press_sequentially("14", delay=80)
    page.keyboard.press("Tab")  # leaving the cell saves it; Tab goes on to the next one
    held.wait(page)
    expect(cell).to_have_class(re.compile("is-saving"))
    expect(cell.locator(".gb-status")).to_have_text("Saving…")
    held.release()
    expect(cell.locator(".gb-status")).to_have_text("Saved")
    expect(page.locator("#gb-live")).to_contain_text("Parent, Sam · Quiz A: Saved")
    assert wait_for(page, lambda: score_of(quiz, school.child), Decimal(14)) == Decimal(14)
    expect(first).to_have_value("14")

    # By the keyboard (back up with the arrow key, then down again): typing replaces the mark there.
    page.keyboard.press("Shift+Tab")
    expect(first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(second).to_be_focused()
    page.wait_for_timeout(300)
    page.keyboard.type("9", delay=80)
    page.keyboard.press("Enter")
    assert wait_for(page, lambda: score_of(quiz, quiz.second), Decimal(9)) == Decimal(9)
    expect(page.locator(f"#c-{quiz.pk}-{quiz.second.pk} .gb-status")).to_have_text("Saved")
    expect(second).to_have_value("9")

    page.reload()
    expect(page.locator(f"#m-{school.child.pk}-{quiz.pk}")).to_have_value("14")
    expect(page.locator(f"#m-{quiz.second.pk}-{quiz.pk}")).to_have_value("9")


def test_a_refused_cell_keeps_its_text_and_leaving_asks_first(page, login, teacher, school, quiz):
    problems = console_problems(page)
    login(page, teacher)
    grid = reverse("exams:gradebook", args=[school.offering.pk])
    page.goto(grid)
    field = page.locator(f"#m-{school.child.pk}-{quiz.pk}")
    field.click()
    field.press_sequentially("25", delay=80)
    page.keyboard.press("Enter")
    cell = page.locator(f"#c-{quiz.pk}-{school.child.pk}")
    expect(cell.locator(".gb-error")).to_have_text("25 is above the maximum of 20.")
    expect(cell).to_have_attribute("data-unsaved", "")
    expect(page.locator("#gb-live")).to_contain_text("Parent, Sam · Quiz A: 25 is above the maximum of 20.")
    assert problems == []  # a refusal is shown, not logged as an error
    assert score_of(quiz, school.child) == Decimal(11)

    dialogs = []
    answer = {"accept": False}

    def on_dialog(dialog):
        dialogs.append((dialog.type, dialog.message))
        dialog.accept() if answer["accept"] else dialog.dismiss()

    page.on("dialog", on_dialog)

    # A link (full navigation): the browser asks; staying keeps the page and what was typed.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Gradebook").click()
    for _attempt in range(20):
        if dialogs:
            break
        page.wait_for_timeout(100)
    assert [kind for kind, _message in dialogs] == ["beforeunload"]
    expect(field).to_have_value("25")
    assert page.url.endswith(grid)

    # An htmx navigation (a boosted link, as the list pages have): asked with a confirm dialog.
    page.evaluate(
        """() => {
            const link = document.createElement("a");
            link.href = "/"; link.id = "boosted"; link.textContent = "Home (boosted)";
            link.setAttribute("hx-boost", "true");
            document.querySelector("main").prepend(link);
            htmx.process(link);
        }"""
    )
    page.locator("#boosted").click()
    page.wait_for_timeout(500)
    assert dialogs[-1] == ("confirm", "Some marks are not saved yet. Leave the page anyway?")
    expect(field).to_have_value("25")
    assert page.url.endswith(grid)

    # Accepting leaves.
    answer["accept"] = True
    page.locator("#boosted").click()
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator(f"#m-{school.child.pk}-{quiz.pk}")).to_have_count(0)
    assert len(dialogs) == 3
    assert problems == []
    assert score_of(quiz, school.child) == Decimal(11)


def test_a_cell_saved_again_leaves_without_a_question(page, login, teacher, school, quiz):
    login(page, teacher)
    page.goto(reverse("exams:gradebook", args=[school.offering.pk]))
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    field = page.locator(f"#m-{school.child.pk}-{quiz.pk}")
    field.click()
    field.press_sequentially("25", delay=80)
    page.keyboard.press("Enter")
    expect(page.locator(f"#c-{quiz.pk}-{school.child.pk} .gb-error")).to_be_visible()
    # Corrected: saved, nothing left to lose.
    field = page.locator(f"#m-{school.child.pk}-{quiz.pk}")
    field.click()
    field.press_sequentially("18", delay=80)
    page.keyboard.press("Enter")
    expect(page.locator(f"#c-{quiz.pk}-{school.child.pk} .gb-status")).to_have_text("Saved")
    expect(page.locator(f"#c-{quiz.pk}-{school.child.pk} .gb-error")).to_have_count(0)
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Gradebook").click()
    page.wait_for_url(f"**{reverse('exams:gradebook_list')}")
    assert dialogs == []
    assert score_of(quiz, school.child) == Decimal(18)


def test_escape_on_a_refused_cell_brings_back_the_saved_mark(page, login, teacher, school, quiz):
    login(page, teacher)
    page.goto(reverse("exams:gradebook", args=[school.offering.pk]))
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    field = page.locator(f"#m-{school.child.pk}-{quiz.pk}")
    field.click()
    field.press_sequentially("25", delay=80)
    page.keyboard.press("Enter")
    cell = page.locator(f"#c-{quiz.pk}-{school.child.pk}")
    expect(cell.locator(".gb-error")).to_be_visible()
    field = page.locator(f"#m-{school.child.pk}-{quiz.pk}")
    field.click()
    page.keyboard.press("Escape")
    expect(field).to_have_value("11")
    expect(cell.locator(".gb-error")).to_have_count(0)
    expect(field).not_to_have_attribute("aria-invalid", "true")
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Gradebook").click()
    page.wait_for_url(f"**{reverse('exams:gradebook_list')}")
    assert dialogs == []
    assert score_of(quiz, school.child) == Decimal(11)


def test_a_cell_whose_save_does_not_arrive_is_said_and_retried_until_it_lands(
    page, login, teacher, school, quiz
):
    login(page, teacher)
    calls = {"count": 0}

    def first_lost(route):
        calls["count"] += 1
        if calls["count"] == 1:
            route.abort("internetdisconnected")  # the connection drops
        else:
            route.continue_()

    page.route("**/cell/", first_lost)  # before the page opens: a route set after may miss the first request
    page.goto(reverse("exams:gradebook", args=[school.offering.pk]))
    field = page.locator(f"#m-{school.child.pk}-{quiz.pk}")
    cell = page.locator(f"#c-{quiz.pk}-{school.child.pk}")
    field.click()
    field.press_sequentially("17", delay=80)
    page.keyboard.press("Enter")
    expect(cell.locator(".gb-status")).to_have_text("Not saved (no connection) — retrying")
    expect(cell).to_have_attribute("data-unsaved", "")
    expect(page.locator("#gb-live")).to_contain_text("Parent, Sam · Quiz A: Not saved (no connection)")
    expect(field).to_have_value("17")  # what was typed stays while it is retried
    # It lands without the person doing anything.
    expect(cell.locator(".gb-status")).to_have_text("Saved")
    expect(page.locator(f"#avg-{school.child.pk}")).to_contain_text("85.0%")
    expect(cell).not_to_have_attribute("data-unsaved", "")
    assert score_of(quiz, school.child) == Decimal(17)
    assert calls["count"] == 2
    page.reload()
    expect(page.locator(f"#m-{school.child.pk}-{quiz.pk}")).to_have_value("17")


def test_a_save_refused_for_good_is_said_not_retried_and_leaving_asks(
    page,
    login,
    teacher,
    school,
    register,
):
    login(page, teacher)
    calls = {"count": 0}

    def forbidden(route):
        calls["count"] += 1
        route.fulfill(status=403, body="Forbidden")  # the session ended elsewhere, say

    page.route("**/mark/", forbidden)  # before the page opens: a route set after may miss the first request
    page.goto(f"/attendance/registers/{register.pk}/")
    page.keyboard.press("a")  # Sam absent
    row = page.locator(f"#row-{school.child.pk}")
    expect(row.locator(".register-state")).to_have_text("Not saved.")
    expect(page.locator("#register-live")).to_contain_text("Sam Parent: Not saved.")
    expect(row).to_have_attribute("data-unsaved", "")
    expect(page.get_by_role("group", name="Sam Parent").get_by_role("radio", name="Absent")).to_be_checked()
    page.wait_for_timeout(2500)  # longer than the first retry's wait: none comes
    assert calls["count"] == 1
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Registers").click()
    for _attempt in range(20):
        if dialogs:
            break
        page.wait_for_timeout(100)
    assert dialogs == ["beforeunload"]
    assert not AttendanceRecord.objects.filter(register=register, student=school.child).exists()
