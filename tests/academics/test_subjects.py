from __future__ import annotations

from django.urls import reverse

from modules.academics.models import Subject
from tests import factories as f


def test_it_lists_subjects_with_links_to_their_classes(office, school):
    response = office.get(reverse("academics:subject_list"))
    page = response.content.decode()
    assert "Mathematics" in page
    assert "MATH" in page
    assert f"{reverse('academics:offering_list')}?subject={school.offering.subject_id}" in page


def test_it_creates_a_subject_with_an_upper_case_code(office, school):
    response = office.post(reverse("academics:subject_create"), {"name": "Biology", "code": "bio"})
    assert response.status_code == 302
    assert Subject.objects.get(name="Biology").code == "BIO"


def test_it_refuses_a_duplicate_code(office, school):
    response = office.post(reverse("academics:subject_create"), {"name": "Maths again", "code": "math"})
    assert "Subject with this Code already exists." in response.content.decode()
    assert not Subject.objects.filter(name="Maths again").exists()


def test_it_edits_a_subject(office, school):
    subject = school.offering.subject
    office.post(reverse("academics:subject_edit", args=[subject.pk]), {"name": "Maths", "code": "MATH"})
    subject.refresh_from_db()
    assert subject.name == "Maths"


def test_it_deletes_an_unused_subject(office, school):
    subject = f.SubjectFactory(name="Latin", code="LAT")
    office.post(reverse("academics:subject_delete", args=[subject.pk]))
    assert not Subject.objects.filter(pk=subject.pk).exists()


def test_it_turns_a_protected_subject_into_a_message(office, school):
    subject = school.offering.subject
    response = office.post(reverse("academics:subject_delete", args=[subject.pk]), follow=True)
    assert response.status_code == 200
    assert "Mathematics is still in use" in response.content.decode()
    assert Subject.objects.filter(pk=subject.pk).exists()


def test_it_refuses_other_roles(as_user, school, bursar):
    assert as_user(bursar).get(reverse("academics:subject_list")).status_code == 403
    assert (
        as_user(bursar).post(reverse("academics:subject_create"), {"name": "X", "code": "X"}).status_code
        == 403
    )
    assert not Subject.objects.filter(name="X").exists()
