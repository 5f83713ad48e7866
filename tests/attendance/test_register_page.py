"""The register page: every student shown present by default, the saved marks, who may open it, its query
budget, and what it says when it can no longer be changed."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from modules.attendance.models import AttendancePolicy
from tests import factories as f
from tests.images import png_bytes

pytestmark = pytest.mark.django_db


def page_url(register) -> str:
    return reverse("attendance:register_detail", args=[register.pk])


def enrol(section, count: int) -> list:
    students = f.StudentFactory.create_batch(count)
    for student in students:
        f.EnrollmentFactory(student=student, section=section)
    return students


def photo():
    return SimpleUploadedFile("pia.png", png_bytes(), content_type="image/png")


def days_from_today(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def checked(page: str, student, status: str) -> bool:
    """Whether the student's row has this status button selected."""
    radio = page.split(f'id="s{student.pk}-status-{status}"', 1)[1].split(">", 1)[0]
    return " checked" in radio


def test_it_shows_every_student_present_by_default(as_user, teacher, school):
    classmates = enrol(school.section, 3)
    register = f.RegisterFactory(section=school.section)
    response = as_user(teacher).get(page_url(register))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Register 7A" in page
    for student in [school.child, *classmates]:
        assert student.full_name in page
        assert checked(page, student, "present")
    # Drawn present, counted unmarked until marked or submitted: the counters add up to the class.
    assert 'data-count="present">0<' in page
    assert 'data-count="unmarked">4<' in page
    assert "Submit register" in page
    # The other section's student is not on this register.
    assert school.other_child.full_name not in page


def test_it_shows_the_saved_marks(as_user, teacher, school):
    late, excused = enrol(school.section, 2)
    register = f.RegisterFactory(section=school.section, state="in_progress")
    f.AttendanceRecordFactory(register=register, student=school.child, status="absent", note="Dentist?")
    f.AttendanceRecordFactory(register=register, student=late, status="late", late_minutes=12)
    f.AttendanceRecordFactory(register=register, student=excused, status="excused", reason="Sports day")
    page = as_user(teacher).get(page_url(register)).content.decode()
    assert checked(page, school.child, "absent")
    assert checked(page, late, "late")
    assert checked(page, excused, "excused")
    assert 'value="12"' in page
    assert 'value="Sports day"' in page
    assert 'value="Dentist?"' in page
    assert 'data-count="absent">1<' in page
    assert 'data-count="late">1<' in page
    assert 'data-count="unmarked">0<' in page
    assert "In progress" in page


def test_it_shows_a_photo_when_there_is_one_and_initials_otherwise(as_user, teacher, school):
    pictured = f.StudentFactory(first_name="Pia", last_name="Picture", photo=photo())
    f.EnrollmentFactory(student=pictured, section=school.section)
    register = f.RegisterFactory(section=school.section)
    page = as_user(teacher).get(page_url(register)).content.decode()
    assert reverse("people:student_photo", args=[pictured.pk]) in page
    assert f'aria-hidden="true">{school.child.initials}</span>' in page


def test_it_loads_the_script_with_the_nonce_and_has_no_inline_script(as_user, teacher, school):
    register = f.RegisterFactory(section=school.section)
    response = as_user(teacher).get(page_url(register))
    page = response.content.decode()
    assert "js/register.js" in page
    assert 'nonce="' in page.split("js/register.js")[1][:40]
    assert " onclick=" not in page
    assert " onchange=" not in page
    # Without JavaScript it is a plain form with a real action and a save button.
    assert f'action="{reverse("attendance:register_save", args=[register.pk])}"' in page
    assert 'name="action" value="save"' in page


def test_it_lets_the_office_open_any_register(as_user, admin, school):
    register = f.RegisterFactory(section=school.other_section)
    response = as_user(admin).get(page_url(register))
    assert response.status_code == 200
    assert school.other_child.full_name in response.content.decode()


@pytest.mark.parametrize("persona", ["other_teacher", "guardian", "student", "bursar"])
def test_it_hides_the_register_from_everyone_else(persona, request, as_user, school):
    register = f.RegisterFactory(section=school.section)
    response = as_user(request.getfixturevalue(persona)).get(page_url(register))
    assert response.status_code == 404


def test_it_sends_a_visitor_to_log_in(client, school):
    register = f.RegisterFactory(section=school.section)
    response = client.get(page_url(register))
    assert response.status_code == 302
    assert reverse("account_login") in response.url


def test_it_refuses_a_post(as_user, teacher, school):
    register = f.RegisterFactory(section=school.section)
    assert as_user(teacher).post(page_url(register)).status_code == 405


def test_it_says_a_submitted_register_is_submitted_and_still_editable_today(as_user, teacher, school):
    register = f.RegisterFactory(
        section=school.section, state="submitted", submitted_at=timezone.now(), submitted_by=teacher
    )
    page = as_user(teacher).get(page_url(register)).content.decode()
    assert "Submitted by Tom Teach" in page
    assert "You can still correct it until the end of" in page
    assert "Submit changes" in page
    assert " disabled" not in page


def test_it_shows_a_past_register_read_only_to_its_teacher_after_the_cut_off(as_user, teacher, school):
    register = f.RegisterFactory(section=school.section, date=days_from_today(-1))
    page = as_user(teacher).get(page_url(register)).content.decode()
    assert "The time for teachers to change this register has passed" in page
    assert '<fieldset class="register-marks" disabled>' in page
    assert "Submit register" not in page


def test_it_keeps_the_register_editable_within_the_schools_cut_off(as_user, teacher, school):
    AttendancePolicy.objects.create(teacher_edit_days=2)
    register = f.RegisterFactory(section=school.section, date=days_from_today(-1))
    page = as_user(teacher).get(page_url(register)).content.decode()
    assert "has passed" not in page
    assert "Submit register" in page


def test_it_asks_the_office_for_a_reason_on_a_submitted_register_after_the_cut_off(as_user, admin, school):
    register = f.RegisterFactory(
        section=school.section,
        date=days_from_today(-3),
        state="submitted",
        submitted_at=timezone.now(),
        submitted_by=admin,
    )
    page = as_user(admin).get(page_url(register)).content.decode()
    assert "Reason for the change" in page
    assert 'name="change_reason"' in page
    assert "required" in page
    assert "Submit changes" in page


def test_it_does_not_open_a_register_for_a_day_that_has_not_come(as_user, teacher, school):
    register = f.RegisterFactory(section=school.section, date=days_from_today(1))
    page = as_user(teacher).get(page_url(register)).content.decode()
    assert "which has not come yet" in page
    assert "Submit register" not in page


def test_it_keeps_the_page_within_eight_queries_whatever_the_class_size(
    as_user, teacher, school, queries_exactly
):
    from django.db import connection

    register = f.RegisterFactory(section=school.section)
    client = as_user(teacher)
    enrol(school.section, 9)  # 10 students
    client.get(page_url(register))  # warm the session
    with CaptureQueriesContext(connection) as ten:
        assert client.get(page_url(register)).status_code == 200
    more = enrol(school.section, 30)  # 40 students, a few of them marked
    for student in more[:5]:
        f.AttendanceRecordFactory(register=register, student=student, status="absent")
    with queries_exactly(5):
        response = client.get(page_url(register))
    assert response.status_code == 200
    assert response.content.decode().count('<li class="register-row') == 40
    with CaptureQueriesContext(connection) as forty:
        client.get(page_url(register))
    assert len(forty) == len(ten) <= 8


def test_its_counters_add_up_to_the_class_before_during_and_after_marking(as_user, teacher, school):
    enrol(school.section, 24)
    register = f.RegisterFactory(section=school.section)
    client = as_user(teacher)

    def counters() -> dict[str, int]:
        page = client.get(page_url(register)).content.decode()
        return {name: int(n) for name, n in re.findall(r'data-count="(\w+)">(\d+)<', page)}

    assert counters() == {"present": 0, "absent": 0, "late": 0, "excused": 0, "unmarked": 25}
    f.AttendanceRecordFactory(register=register, student=school.child, status="absent")
    shown = counters()
    assert shown["absent"] == 1
    assert shown["unmarked"] == 24
    assert sum(shown.values()) == 25
