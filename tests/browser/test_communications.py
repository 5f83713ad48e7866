"""A teacher posts to their section; the family sees it arrive without a reload; they talk in a thread."""

from __future__ import annotations

from playwright.sync_api import expect


def test_a_section_announcement_reaches_the_family_and_they_talk_in_a_thread(
    browser, live_server, login, teacher, guardian, school
):
    def new_page():
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        return context.new_page()

    family = new_page()
    login(family, guardian)
    bell = family.locator("#bell")
    expect(bell).to_contain_text("Notifications: 0 unread")

    teaching = new_page()
    login(teaching, teacher)
    teaching.goto("/announcements/new/")
    teaching.get_by_label("Title").fill("Museum trip on Friday")
    teaching.get_by_label("Message").fill("Bring a packed lunch and a signed form.")
    teaching.get_by_label("A section").check()
    teaching.get_by_label("Section", exact=True).select_option(label="7A")
    teaching.get_by_role("button", name="Post the announcement").click()
    expect(teaching.get_by_role("heading", name="Museum trip on Friday")).to_be_visible()

    # The family's page was not reloaded: the bell's poll brings the news in.
    expect(bell).to_contain_text("Notifications: 1 unread", timeout=15_000)
    expect(family.locator(".bell-badge")).to_have_text("1")
    bell.click()
    family.get_by_role("link", name="Museum trip on Friday").click()
    expect(family.get_by_role("heading", name="Museum trip on Friday")).to_be_visible()
    expect(family.get_by_text("Bring a packed lunch and a signed form.")).to_be_visible()

    # The teacher writes to the family; the guardian replies in the thread; the teacher reads the reply.
    teaching.goto("/messages/new/")
    teaching.get_by_role("combobox", name="To").select_option(
        label=f"{guardian.get_full_name()} (Parent / guardian)"
    )
    teaching.get_by_label("Subject").fill("Permission form")
    teaching.get_by_label("Message").fill("Has the form been signed?")
    teaching.get_by_role("button", name="Send").click()
    expect(teaching.get_by_text("Has the form been signed?")).to_be_visible()

    family.goto("/messages/")
    family.get_by_role("link", name="Permission form").click()
    expect(family.get_by_text("Has the form been signed?")).to_be_visible()
    family.get_by_label("Message").fill("Yes, Sam brings it tomorrow.")
    family.get_by_role("button", name="Reply").click()
    expect(family.get_by_text("Yes, Sam brings it tomorrow.")).to_be_visible()

    teaching.goto("/messages/")
    expect(teaching.get_by_text("Yes, Sam brings it tomorrow.")).to_be_visible()
    teaching.get_by_role("link", name="Permission form").click()
    expect(teaching.get_by_text("Yes, Sam brings it tomorrow.")).to_be_visible()
