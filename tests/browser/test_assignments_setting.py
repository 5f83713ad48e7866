"""A teacher sets homework in the browser: the calendar load follows the due date as it is chosen, fields that
do not apply hide, and the homework's page shows the instructions formatted. The form is axe-clean and fits
a 390 px phone."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from modules.assignments.models import Assignment
from tests import factories as f
from tests.browser.test_walk import AXE_JS, AXE_SOURCE, OVERFLOW_JS


def _day(days: int, hour: int) -> datetime.datetime:
    moment = timezone.localtime() + datetime.timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def _axe_clean(page) -> None:
    page.evaluate(AXE_SOURCE + "\n;true")
    violations = page.evaluate(AXE_JS, None)
    assert violations == [], violations
    assert page.evaluate(OVERFLOW_JS) is None


def test_a_teacher_sets_homework_seeing_the_calendar_load(page, login, teacher, school):
    busy = _day(10, 9)
    geography = f.CourseOfferingFactory(subject=f.SubjectFactory(name="Geography"), section=school.section)
    f.AssignmentFactory(
        offering=geography, term=school.term, title="Map of rivers", due_at=busy.replace(hour=17)
    )
    login(page, teacher)

    page.goto(reverse("assignments:teacher_list"))
    page.get_by_role("link", name="Set homework for Mathematics · 7A").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set homework")
    expect(page.get_by_label("Mathematics · 7A")).to_be_checked()
    load = page.locator("#calendar-load")
    expect(load).to_contain_text("0 due that day")

    page.locator("#id_due_at").fill(busy.strftime("%Y-%m-%dT%H:%M"))
    expect(load).to_contain_text("1 due that day (Geography)")
    expect(load).to_contain_text("1 that week")

    page.get_by_label("Title").fill("Fractions")
    page.get_by_label("Instructions").fill("Do **every** exercise.")
    expect(page.get_by_label("Maximum score")).to_be_visible()
    page.get_by_label("Not graded").check()
    expect(page.get_by_label("Maximum score")).to_be_hidden()
    page.get_by_label("Refuse late work").check()
    expect(page.get_by_label("Accept late work until", exact=True)).to_be_hidden()
    expect(page.get_by_label("Publish at", exact=True)).to_be_hidden()
    page.get_by_label("Publish at a set time").check()
    expect(page.get_by_label("Publish at", exact=True)).to_be_visible()
    page.get_by_label("Publish now").check()
    page.get_by_role("button", name="Set homework").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Fractions")
    expect(page.locator(".assignment-instructions strong")).to_have_text("every")
    expect(page.get_by_role("alert").or_(page.locator(".alert-success")).first).to_contain_text("published")
    assignment = Assignment.objects.get(title="Fractions")
    assert assignment.assessment is None
    assert assignment.late_policy == "refuse"
    assert timezone.localtime(assignment.due_at) == busy


def test_the_homework_form_is_accessible_and_fits_a_phone(phone_page, login, teacher, school):
    f.AssignmentFactory(offering=school.offering, term=school.term, title="Essay")
    login(phone_page, teacher)

    for url in (reverse("assignments:teacher_list"), reverse("assignments:teacher_create")):
        phone_page.goto(url)
        _axe_clean(phone_page)

    phone_page.goto(reverse("assignments:teacher_create"))
    phone_page.get_by_role("button", name="Set homework").click()
    expect(phone_page.locator(".invalid-feedback").first).to_be_visible()
    _axe_clean(phone_page)
