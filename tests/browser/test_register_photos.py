"""The register in a browser: each photo is fetched once as its thumbnail and then comes from the browser's
cache, a student without a photo costs no request, and the status buttons show the choice (register.css
draws Bootstrap's outline buttons for radios inside their labels)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_started
from playwright.sync_api import expect

from tests import factories as f
from tests.images import png_bytes


def test_photos_are_fetched_once_as_thumbnails_and_rows_without_one_fetch_nothing(
    page, login, teacher, school, weekday
):
    for number in range(3):
        pupil = f.StudentFactory(
            first_name=f"Pic{number}",
            last_name="Tured",
            photo=SimpleUploadedFile("p.png", png_bytes((300, 300)), content_type="image/png"),
        )
        f.EnrollmentFactory(student=pupil, section=school.section)
    photos: list[str] = []  # what the server was asked for (a photo the browser had kept is not)

    def count(sender, environ, **kwargs):
        if "/photo/" in environ["PATH_INFO"]:
            photos.append(f"{environ['PATH_INFO']}?{environ.get('QUERY_STRING', '')}")

    request_started.connect(count)
    try:
        _take_the_register_twice(page, login, teacher, school, photos)
    finally:
        request_started.disconnect(count)


def _take_the_register_twice(page, login, teacher, school, photos):
    login(page, teacher)

    page.get_by_role("link", name="Register 7A").click()
    expect(page.locator("form[data-register]")).to_have_attribute("data-ready", "true")
    images = page.locator("li.register-row img.avatar")
    expect(images).to_have_count(3)
    for index in range(3):
        expect(images.nth(index)).to_have_js_property("complete", True)
        assert images.nth(index).evaluate("img => img.naturalWidth") == 96
    assert len(photos) == 3
    assert all("/photo/thumbnail/?v=" in url for url in photos)
    # Sam Parent has no photo: initials, no request.
    expect(page.locator(f"#row-{school.child.pk} .avatar")).to_have_text(school.child.initials)

    page.goto("/")
    page.get_by_role("link", name="Register 7A").click()
    expect(page.locator("form[data-register]")).to_have_attribute("data-ready", "true")
    for index in range(3):
        expect(images.nth(index)).to_have_js_property("complete", True)
    assert len(photos) == 3  # kept a year by the browser: not asked for again


def test_the_chosen_status_is_drawn_filled_and_the_others_outlined(page, login, teacher, school, weekday):
    login(page, teacher)
    page.get_by_role("link", name="Register 7A").click()
    expect(page.locator("form[data-register]")).to_have_attribute("data-ready", "true")
    group = page.get_by_role("group", name=school.child.full_name)
    expect(group.get_by_role("radio", name="Present")).to_be_checked()
    background = "label => getComputedStyle(label).backgroundColor"
    present = page.locator(f"#row-{school.child.pk} .register-buttons label").filter(has_text="Present")
    absent = page.locator(f"#row-{school.child.pk} .register-buttons label").filter(has_text="Absent")
    assert present.evaluate(background) == "rgb(25, 135, 84)"  # checked: filled green
    assert absent.evaluate(background) == "rgba(0, 0, 0, 0)"
    assert absent.evaluate("label => getComputedStyle(label).borderColor") == "rgb(220, 53, 69)"
    assert absent.evaluate("label => getComputedStyle(label).color") == "rgb(176, 42, 55)"  # portal.css's

    absent.click()  # the label is the button
    expect(page.locator(f"#row-{school.child.pk} .register-state")).to_contain_text("Saved")
    assert absent.evaluate(background) == "rgb(220, 53, 69)"
    assert present.evaluate(background) == "rgba(0, 0, 0, 0)"
