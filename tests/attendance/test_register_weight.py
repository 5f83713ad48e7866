"""The register page stays light (issue 15: half of the 126 KB it weighed for 40 students): a row carries
its fields and nothing a parent, a stylesheet or register.js can say once for all of them; a photo is a
small versioned thumbnail and a student without one costs no request."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from modules.attendance.models import AttendanceRecord
from modules.people.photos import photo_thumbnail_url
from tests import factories as f
from tests.images import png_bytes

pytestmark = pytest.mark.django_db
# Half of the 126 KB the issue measured for 40 students, with room for longer names than these; weighed with
# every number written as one digit (`weight`).
PAGE_BUDGET = 62_000


def weight(content: bytes) -> int:
    """The page's bytes with each number (ids, counts, times) counted as one digit: an id's length is how
    many rows the database made before this test (PostgreSQL's sequences are not reset between tests: the
    CI's long run wrote ids two digits longer than a test alone does), not the page's markup, which the
    budget guards."""
    return len(re.sub(rb"\d+", b"0", content))


def page_url(register) -> str:
    return reverse("attendance:register_detail", args=[register.pk])


def rows_of(page: str) -> list[str]:
    return re.findall(r'<li class="register-row.*?</li>', page, flags=re.S)


def photo():
    return SimpleUploadedFile("p.png", png_bytes((200, 200)), content_type="image/png")


@pytest.fixture
def forty(school):
    """7A with 40 students (names of 15 letters, as the bench's), 25 of them with a photo."""
    for number in range(1, 40):
        student = f.StudentFactory(
            first_name=f"Pupil{number:02d}",
            last_name=f"Bench{number:02d}",
            **({"photo": photo()} if number <= 25 else {}),
        )
        f.EnrollmentFactory(student=student, section=school.section)
    return f.RegisterFactory(section=school.section)


def test_it_weighs_half_what_it_did_for_40_students(as_user, teacher, forty):
    response = as_user(teacher).get(page_url(forty))
    assert len(rows_of(response.content.decode())) == 40
    assert weight(response.content) <= PAGE_BUDGET


def test_a_row_repeats_no_htmx_attribute_and_the_form_says_where_marks_go(as_user, teacher, forty):
    page = as_user(teacher).get(page_url(forty)).content.decode()
    assert 'data-mark-url="{}"'.format(reverse("attendance:register_mark", args=[forty.pk])) in page
    for row in rows_of(page):
        assert " hx-" not in row
        assert "autocomplete=" not in row
        assert "btn-check" not in row


def test_a_read_only_register_gives_no_mark_url(as_user, teacher, school):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    register = f.RegisterFactory(section=school.section, date=yesterday)  # after the teachers' cut-off
    page = as_user(teacher).get(page_url(register)).content.decode()
    assert '<fieldset class="register-marks" disabled>' in page
    assert "data-mark-url" not in page


def test_a_photo_is_its_thumbnail_and_a_student_without_one_makes_no_request(as_user, teacher, school):
    pictured = f.StudentFactory(first_name="Pia", last_name="Picture", photo=photo())
    f.EnrollmentFactory(student=pictured, section=school.section)
    register = f.RegisterFactory(section=school.section)
    page = as_user(teacher).get(page_url(register)).content.decode()
    assert f'<img src="{photo_thumbnail_url(pictured)}"' in page
    assert "/photo/thumbnail/?v=" in photo_thumbnail_url(pictured)
    child_row = next(row for row in rows_of(page) if f'id="row-{school.child.pk}"' in row)
    assert "<img" not in child_row
    assert f'<span class="avatar" aria-hidden="true">{school.child.initials}</span>' in child_row


def test_a_row_sends_the_copies_of_its_saved_values_and_leaves_out_empty_ones(
    as_user, teacher, school, forty
):
    marked = f.StudentFactory(first_name="Ned", last_name="Noted")
    f.EnrollmentFactory(student=marked, section=school.section)
    f.AttendanceRecordFactory(register=forty, student=marked, status="excused", reason="Dentist", note="")
    page = as_user(teacher).get(page_url(forty)).content.decode()
    row = next(row for row in rows_of(page) if f'id="row-{marked.pk}"' in row)
    assert f'name="initial-s{marked.pk}-status" value="excused"' in row
    assert f'name="initial-s{marked.pk}-reason" value="Dentist"' in row
    assert f'name="initial-s{marked.pk}-note"' not in row
    unmarked = next(row for row in rows_of(page) if f'id="row-{school.child.pk}"' in row)
    assert f'name="initial-s{school.child.pk}-status" value="present"' in unmarked
    assert f"initial-s{school.child.pk}-late_minutes" not in unmarked


def test_the_page_posted_untouched_saves_nothing_and_submitted_marks_everyone(as_user, teacher, forty):
    """Without JavaScript the whole form is posted: a row whose empty copies were left out is still seen as
    unchanged, and submitting saves every unmarked student present."""
    client = as_user(teacher)
    page = client.get(page_url(forty)).content.decode()
    data = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r' name="([^"]*)"', tag)
        if not name or name.group(1) == "csrfmiddlewaretoken":
            continue
        if 'type="radio"' in tag and " checked" not in tag:
            continue
        value = re.search(r' value="([^"]*)"', tag)
        data[name.group(1)] = value.group(1) if value else ""
    save = reverse("attendance:register_save", args=[forty.pk])
    assert client.post(save, {**data, "action": "save"}).status_code == 302
    assert not AttendanceRecord.objects.filter(register=forty).exists()
    assert client.post(save, {**data, "action": "submit"}).status_code == 302
    assert AttendanceRecord.objects.filter(register=forty, status="present").count() == 40
