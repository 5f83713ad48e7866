from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from modules.academics.models import Enrollment
from modules.core.models import AuditEvent
from modules.people.models import Student
from tests.images import png_bytes

pytestmark = pytest.mark.django_db
CREATE = reverse("people:student_create")


def form(**overrides):
    data = {
        "first_name": "Nina",
        "last_name": "Newcomer",
        "admission_number": "a-2026-77",
        "date_of_birth": "2013-04-02",
        "gender": "F",
        "admission_date": "2026-09-01",
        "email": "",
        "phone": "",
        "address": "",
        "medical_notes": "",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_it_creates_a_student_in_a_section(as_user, admin, school):
    response = as_user(admin).post(CREATE, form(section=school.section.pk))
    student = Student.objects.get(admission_number="A-2026-77")
    assert response.status_code == 302
    assert response.url == reverse("people:student_detail", args=[student.pk])
    assert Enrollment.objects.get(student=student).section == school.section
    assert AuditEvent.objects.filter(action="student.create", object_id=str(student.pk), actor=admin).exists()


def test_it_creates_a_login_and_invites_the_student(
    as_user, admin, school, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        as_user(admin).post(CREATE, form(email="nina@school.test", create_login="on"))
    student = Student.objects.get(admission_number="A-2026-77")
    assert student.user.email == "nina@school.test"
    assert mail.outbox[0].to == ["nina@school.test"]


def test_it_asks_for_an_email_before_creating_a_login(as_user, admin, school):
    response = as_user(admin).post(CREATE, form(create_login="on"))
    assert response.status_code == 200
    assert "An email address is needed to create a login." in response.content.decode()
    assert not Student.objects.filter(admission_number="A-2026-77").exists()


def test_it_refuses_a_duplicate_admission_number_and_keeps_what_was_typed(as_user, admin, school):
    response = as_user(admin).post(CREATE, form(admission_number="a-0001", first_name="Typed Name"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Student with this Admission number already exists." in page
    assert 'value="Typed Name"' in page
    assert Student.objects.count() == 2


def test_it_refuses_a_bad_date(as_user, admin, school):
    response = as_user(admin).post(CREATE, form(date_of_birth="31/02/2013"))
    assert "Enter a valid date." in response.content.decode()
    assert not Student.objects.filter(admission_number="A-2026-77").exists()


def test_it_accepts_a_real_photo(as_user, admin, school):
    photo = SimpleUploadedFile("nina.png", png_bytes(), content_type="image/png")
    as_user(admin).post(CREATE, {**form(), "photo": photo})
    student = Student.objects.get(admission_number="A-2026-77")
    assert student.photo.name.startswith("photos/student/")
    assert student.photo.name.endswith(".png")


def test_it_refuses_a_photo_that_is_not_an_image(as_user, admin, school):
    fake = SimpleUploadedFile("nina.png", b"%PDF-1.4 definitely not a picture", content_type="image/png")
    response = as_user(admin).post(CREATE, {**form(), "photo": fake})
    page = response.content.decode()
    assert response.status_code == 200
    assert "The photo could not be read as an image: it is damaged or not an image." in page
    assert not Student.objects.filter(admission_number="A-2026-77").exists()


def test_it_refuses_an_oversized_photo(as_user, admin, school, settings):
    settings.STUDENTFLOW_PHOTO_MAX_BYTES = 100
    photo = SimpleUploadedFile("big.png", png_bytes((200, 200)), content_type="image/png")
    response = as_user(admin).post(CREATE, {**form(), "photo": photo})
    assert "The photo is too large" in response.content.decode()


def test_it_edits_a_student_and_moves_them_to_another_section(as_user, admin, school):
    url = reverse("people:student_edit", args=[school.child.pk])
    client = as_user(admin)
    page = client.get(url).content.decode()
    assert 'value="Sam"' in page
    response = client.post(
        url,
        form(
            first_name="Samuel",
            last_name="Parent",
            admission_number="A-0001",
            section=school.other_section.pk,
        ),
    )
    assert response.status_code == 302
    school.child.refresh_from_db()
    assert school.child.first_name == "Samuel"
    assert Enrollment.objects.get(student=school.child).section == school.other_section
    assert AuditEvent.objects.filter(action="enrollment.move").exists()


@pytest.mark.parametrize("persona", ["teacher", "guardian", "student", "bursar"])
def test_it_lets_only_the_office_edit(persona, request, as_user, school):
    client = as_user(request.getfixturevalue(persona))
    assert client.get(reverse("people:student_edit", args=[school.child.pk])).status_code == 403
    assert client.post(CREATE, form()).status_code == 403
    assert not Student.objects.filter(admission_number="A-2026-77").exists()


def test_it_answers_404_for_a_student_that_does_not_exist(as_user, admin, school):
    assert as_user(admin).get(reverse("people:student_edit", args=[999999])).status_code == 404
