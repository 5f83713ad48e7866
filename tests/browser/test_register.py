"""A teacher takes a 30-student register from their home with the keyboard only; the counters follow live,
a reload shows the same marks, and after submission the absent students' guardians have an email."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from modules.attendance.models import AttendanceRecord, Register
from tests import factories as f


@pytest.fixture
def pupils(school) -> list:
    """7A has 30 students: Sam Parent first, then Pupil01..Pupil29, each with a guardian who has an email."""
    pupils = []
    for number in range(1, 30):
        pupil = f.StudentFactory(first_name=f"Kid{number:02d}", last_name=f"Pupil{number:02d}")
        f.EnrollmentFactory(student=pupil, section=school.section)
        f.GuardianLinkFactory(
            student=pupil,
            guardian=f.GuardianFactory(email=f"family{number:02d}@example.test"),
        )
        pupils.append(pupil)
    return pupils


def counter(page, name):
    return page.locator(f'#register-counters [data-count="{name}"]')


def test_a_teacher_takes_the_register_with_the_keyboard(
    page, login, teacher, guardian, school, pupils, weekday
):
    login(page, teacher)
    page.get_by_role("link", name="Register 7A").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register 7A")
    expect(page.locator("#register-keys")).to_be_visible()
    rows = page.locator("li.register-row")
    expect(rows).to_have_count(30)
    expect(page.locator("form[data-register]")).to_have_attribute("data-ready", "true")  # keys are heard
    expect(counter(page, "unmarked")).to_have_text("30")

    # The first row is the active one: "a" marks Sam absent.
    expect(rows.nth(0)).to_have_attribute("aria-current", "true")
    page.keyboard.press("a")
    expect(counter(page, "absent")).to_have_text("1")
    # Down three rows with j and the arrow key: Pupil03.
    page.keyboard.press("j")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("j")
    expect(rows.nth(3)).to_have_attribute("aria-current", "true")
    expect(rows.nth(3)).to_be_focused()
    page.keyboard.press("a")
    expect(counter(page, "absent")).to_have_text("2")
    # Five more down, one back up with k: Pupil07.
    for key in ["j", "j", "j", "j", "j", "k"]:
        page.keyboard.press(key)
    page.keyboard.press("a")
    expect(counter(page, "absent")).to_have_text("3")
    # Next row late: l. (The minutes typed after it are tested on their own below.)
    page.keyboard.press("j")
    page.keyboard.press("l")
    expect(counter(page, "late")).to_have_text("1")
    expect(counter(page, "present")).to_have_text("0")  # 30 pupils: 3 absent, 1 late, 26 not marked yet
    expect(counter(page, "unmarked")).to_have_text("26")
    expect(page.locator("li.register-row.is-saving, li.register-row.is-unsaved")).to_have_count(0)
    assert AttendanceRecord.objects.get(student=pupils[7], register__section=school.section).status == "late"

    # A reload shows the same marks.
    page.reload()
    for name, status in [
        ("Sam Parent", "Absent"),
        ("Kid03 Pupil03", "Absent"),
        ("Kid07 Pupil07", "Absent"),
        ("Kid08 Pupil08", "Late"),
        ("Kid01 Pupil01", "Present"),
    ]:
        expect(page.get_by_role("group", name=name).get_by_role("radio", name=status)).to_be_checked()
    expect(counter(page, "absent")).to_have_text("3")

    # "s" jumps to the submit button; Enter submits.
    page.keyboard.press("s")
    expect(page.get_by_role("button", name="Submit register")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert").filter(has_text="The register is submitted")).to_contain_text(
        "26 present, 3 absent, 1 late, 0 excused"
    )
    expect(page.get_by_text("Submitted by Tom Teach")).to_be_visible()
    register = Register.objects.get(section=school.section, date=weekday)
    assert register.state == "submitted"
    assert register.records.count() == 30

    # The queue ran when the submission committed: each absent student's guardians have an email.
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted([guardian.email, "family03@example.test", "family07@example.test"])


def test_a_mark_that_fails_to_save_is_shown_and_retried(page, login, teacher, school, pupils, weekday):
    login(page, teacher)
    register = Register.objects.get_or_create(kind="daily", section=school.section, date=weekday)[0]
    failures = {"left": 2}

    def flaky(route):
        if failures["left"] > 0:
            failures["left"] -= 1
            route.fulfill(status=503, body="Service unavailable")
        else:
            route.continue_()

    page.route("**/mark/", flaky)  # before the page opens: a route set after may miss the first request
    page.goto(f"/attendance/registers/{register.pk}/")
    rows = page.locator("li.register-row")
    page.keyboard.press("j")
    page.keyboard.press("a")
    expect(rows.nth(1).locator(".register-state")).to_have_text("Not saved — retrying")
    expect(rows.nth(1)).to_have_class(re.compile("is-unsaved"))
    expect(page.locator("#register-live")).to_contain_text("Not saved — retrying")
    # The person's choice stays on screen while it is retried, and lands without them doing anything.
    expect(
        page.get_by_role("group", name="Kid01 Pupil01").get_by_role("radio", name="Absent")
    ).to_be_checked()
    expect(counter(page, "absent")).to_have_text("1", timeout=15_000)
    expect(rows.nth(1).locator(".register-state")).to_have_text(re.compile("Saved"))
    assert AttendanceRecord.objects.get(register=register, student=pupils[0]).status == "absent"


def test_a_refused_mark_shows_its_message_in_the_row(phone_page, login, teacher, school, pupils, weekday):
    login(phone_page, teacher)
    register = Register.objects.get_or_create(kind="daily", section=school.section, date=weekday)[0]
    phone_page.goto(f"/attendance/registers/{register.pk}/")
    row = phone_page.get_by_role("group", name="Sam Parent")
    # On a phone: tap "Late", then type absurd minutes.
    row.get_by_text("Late", exact=True).tap()
    expect(counter(phone_page, "late")).to_have_text("1")
    minutes = phone_page.get_by_label("Minutes late (Sam Parent)")
    minutes.fill("500")
    minutes.press("Enter")
    state = phone_page.locator(f"#row-{school.child.pk} .register-state")
    expect(state).to_contain_text("Minutes late must be a whole number between 0 and 240.")
    expect(phone_page.get_by_label("Minutes late (Sam Parent)")).to_have_value("500")
    assert AttendanceRecord.objects.get(register=register, student=school.child).late_minutes == 0
    # The submit bar stays on screen while scrolling the class.
    expect(phone_page.get_by_role("button", name="Submit register")).to_be_in_viewport()


def test_the_minutes_typed_for_a_late_student_are_saved(page, login, teacher, school, pupils, weekday):
    login(page, teacher)
    page.get_by_role("link", name="Register 7A").click()
    rows = page.locator("li.register-row")
    expect(rows).to_have_count(30)
    expect(page.locator("form[data-register]")).to_have_attribute("data-ready", "true")  # keys are heard
    # A slow settle (a busy phone) widens the moment after a row is swapped back in; a change typed then
    # must still be sent (it once was not: the new row's triggers were bound only when it settled).
    page.evaluate("htmx.config.defaultSettleDelay = 1500")
    rows.nth(8).focus()
    page.keyboard.press("l")
    expect(counter(page, "late")).to_have_text("1")
    page.keyboard.press("m")
    expect(page.get_by_label("Minutes late (Kid08 Pupil08)")).to_be_focused()
    page.keyboard.type("10")
    page.keyboard.press("Enter")
    for _attempt in range(50):
        record = AttendanceRecord.objects.get(student=pupils[7], register__section=school.section)
        if record.late_minutes == 10:
            break
        page.wait_for_timeout(200)
    assert record.late_minutes == 10
    page.reload()
    expect(page.get_by_label("Minutes late (Kid08 Pupil08)")).to_have_value("10")


@pytest.fixture
def second_page(browser, live_server):
    """Another person's browser (its own cookies): the office, on the same register at the same time."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_two_people_on_one_row_see_each_others_mark_instead_of_losing_it(
    page, second_page, login, teacher, admin, school, pupils, weekday
):
    register = Register.objects.get_or_create(kind="daily", section=school.section, date=weekday)[0]
    login(page, teacher)
    login(second_page, admin)
    page.goto(f"/attendance/registers/{register.pk}/")
    second_page.goto(f"/attendance/registers/{register.pk}/")

    # The teacher marks Sam absent, then late (a second save of the same row is not a conflict).
    page.keyboard.press("a")
    expect(counter(page, "absent")).to_have_text("1")
    page.keyboard.press("l")
    expect(counter(page, "late")).to_have_text("1")
    expect(page.locator(f"#row-{school.child.pk} .register-state")).to_have_text(re.compile("Saved"))

    # The office's page still shows Sam present; it marks Sam excused: refused, the teacher's mark said, the
    # office's choice kept.
    office_row = second_page.get_by_role("group", name="Sam Parent")
    office_row.get_by_text("Excused", exact=True).click()
    state = second_page.locator(f"#row-{school.child.pk} .register-state")
    expect(state).to_contain_text("Someone else changed this row since you opened the page; it is now: Late.")
    expect(office_row.get_by_role("radio", name="Excused")).to_be_checked()
    expect(second_page.locator("#register-live")).to_contain_text("Someone else changed this row")
    expect(counter(second_page, "late")).to_have_text("1")
    assert AttendanceRecord.objects.get(register=register, student=school.child).status == "late"

    # Having seen it, the office saves its choice on purpose.
    second_page.get_by_role("button", name="Save mine (Sam Parent)").click()
    expect(state).to_have_text(re.compile("Saved"))
    expect(counter(second_page, "excused")).to_have_text("1")
    expect(counter(second_page, "late")).to_have_text("0")
    record = AttendanceRecord.objects.get(register=register, student=school.child)
    assert (record.status, record.marked_by) == ("excused", admin)
