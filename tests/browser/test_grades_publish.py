"""A mark stays hidden from the family until its teacher publishes it; then the guardian sees it."""

from __future__ import annotations

from playwright.sync_api import expect

from tests import factories as f


def test_publishing_makes_the_mark_visible_to_the_guardian(
    browser, live_server, login, teacher, guardian, school
):
    def new_page():
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        return context.new_page()

    quiz = f.AssessmentFactory(
        offering=school.offering, term=school.term, name="Fractions quiz", max_score=20
    )
    f.MarkFactory(assessment=quiz, student=school.child, score=17)

    family = new_page()
    login(family, guardian)
    family.goto(f"/grades/children/{school.child.pk}/")
    expect(family.get_by_role("heading", level=1)).to_be_visible()
    expect(family.get_by_text("Fractions quiz")).to_have_count(0)

    teaching = new_page()
    login(teaching, teacher)
    teaching.goto(f"/grades/classes/{school.offering.pk}/")
    teaching.once("dialog", lambda dialog: dialog.accept())
    teaching.get_by_role("button", name="Publish Fractions quiz").click()
    expect(teaching.get_by_text("Published").first).to_be_visible()

    family.reload()
    row = family.get_by_role("row").filter(has_text="Fractions quiz")
    expect(row).to_contain_text("17")
