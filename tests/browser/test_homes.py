"""Each role signs in through the real login form and lands on its own home page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import factories as f

HEADINGS = {
    "admin": "Office home",
    "teacher": "Good day, Tom",
    "guardian": "My children",
    "student": "Hello, Sam",
    "bursar": "Fees and payments",
}


@pytest.mark.parametrize("persona", list(HEADINGS))
def test_it_signs_each_role_in_to_its_home(persona, request, page, login, school):
    login(page, request.getfixturevalue(persona))
    expect(page.get_by_role("heading", level=1)).to_have_text(HEADINGS[persona])


def test_it_shows_a_guardian_each_child_on_a_phone(phone_page, login, guardian, school):
    sibling = f.StudentFactory(first_name="Sibyl", last_name="Parent")
    f.EnrollmentFactory(student=sibling, section=school.other_section)
    f.GuardianLinkFactory(student=sibling, guardian=school.guardian_profile, is_primary=True)
    login(phone_page, guardian)
    expect(phone_page.get_by_role("heading", name="Sam Parent")).to_be_visible()
    expect(phone_page.get_by_role("heading", name="Sibyl Parent")).to_be_visible()
    # The navigation collapses behind a toggle on a phone and opens from it.
    toggle = phone_page.get_by_role("button", name="Toggle navigation")
    expect(toggle).to_be_visible()
    toggle.click()
    expect(phone_page.get_by_role("button", name="Sign out")).to_be_hidden()  # inside the user menu
    expect(phone_page.get_by_role("link", name="Home", exact=True)).to_be_visible()


def test_it_switches_a_teacher_who_is_a_parent_to_the_family_view(page, login, teacher, school):
    f.GuardianFactory(user=teacher)
    teacher.guardian_profile.student_links.create(student=school.other_child, relationship="father")
    login(page, teacher)
    expect(page.get_by_role("heading", level=1)).to_have_text("Good day, Tom")
    page.get_by_label("Acting as").select_option("guardian")
    expect(page.get_by_role("heading", level=1)).to_have_text("My children")
    expect(page.get_by_role("heading", name="Olive Elsewhere")).to_be_visible()


def test_it_tells_a_person_who_mistypes_their_password(page, teacher, school):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(teacher.email)
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not correct")
    expect(page.get_by_label("Email")).to_have_value(teacher.email)


def test_it_reaches_the_main_content_from_the_keyboard(page, login, admin, school):
    login(page, admin)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
