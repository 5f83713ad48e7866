"""The office finds a student by typing, opens the profile and manages the family's links."""

from __future__ import annotations

from playwright.sync_api import expect

from modules.people.models import GuardianLink


def test_it_filters_the_student_list_as_the_office_types(page, login, admin, school):
    login(page, admin)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Students").click()
    expect(page.get_by_text("2 results")).to_be_visible()
    page.get_by_label("Search").fill("oli")
    # htmx swaps the results in place (no reload) and pushes the filtered address.
    expect(page.get_by_text("1 result", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Olive Elsewhere")).to_be_visible()
    expect(page.get_by_role("link", name="Sam Parent")).to_have_count(0)
    assert "q=oli" in page.url
    page.get_by_role("link", name="Olive Elsewhere").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Olive Elsewhere")
    expect(page.get_by_role("link", name="Otto Elsewhere")).to_be_visible()


def test_it_asks_before_unlinking_a_guardian(page, login, admin, school):
    login(page, admin)
    page.goto(f"/people/students/{school.child.pk}/")
    unlink = page.get_by_role("button", name="Unlink Pat Parent")

    page.once("dialog", lambda dialog: dialog.dismiss())
    unlink.click()
    expect(page.get_by_role("link", name="Pat Parent")).to_be_visible()
    assert GuardianLink.objects.filter(student=school.child).exists()

    page.once("dialog", lambda dialog: dialog.accept())
    unlink.click()
    expect(page.get_by_text("is no longer linked to Sam Parent")).to_be_visible()
    expect(page.get_by_text("No guardian is linked yet.")).to_be_visible()
