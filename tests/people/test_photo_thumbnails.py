"""Photo thumbnails: made once when a photo is stored (a form, a fixture, the re-encoding, the data migration
or `manage.py photos_thumbnail` for the photos stored before), served to whoever may see the photo, with a
versioned URL the browser keeps a year, an ETag, and 304 when the browser asks again."""

from __future__ import annotations

import importlib
import io

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from modules.people.models import Staff, Student
from modules.people.photos import photo_reencode, photo_thumbnail_url
from modules.people.thumbnails import THUMBNAIL_SIDE, thumbnail_version
from tests import factories as f
from tests.images import jpeg_bytes, png_bytes

pytestmark = pytest.mark.django_db
ONE_YEAR = 31_536_000


def upload(data: bytes | None = None, name: str = "pia.png"):
    return SimpleUploadedFile(name, data or png_bytes((300, 200)), content_type="image/png")


def thumbnail_image(person) -> Image.Image:
    with person.photo_thumb.open("rb") as stored:
        image = Image.open(io.BytesIO(stored.read()))
        image.load()
    return image


def thumb_url(student, version: str | None = None) -> str:
    url = reverse("people:student_photo_thumbnail", args=[student.pk])
    return f"{url}?v={version}" if version else url


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def pictured(school):
    """A pupil of the teacher's section, with a photo."""
    student = f.StudentFactory(first_name="Pia", last_name="Picture", photo=upload())
    f.EnrollmentFactory(student=student, section=school.section)
    return student


def test_it_makes_a_small_square_webp_thumbnail_when_a_photo_is_saved(pictured):
    pictured.refresh_from_db()
    assert pictured.photo_thumb.name.startswith("photos/thumbs/student/")
    image = thumbnail_image(pictured)
    assert (image.format, image.size) == ("WEBP", (THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    assert pictured.photo_thumb.size < pictured.photo.size


def test_it_makes_the_thumbnail_of_a_photo_uploaded_through_the_form(as_user, admin, school):
    camera = jpeg_bytes((1600, 1200))
    response = as_user(admin).post(
        reverse("people:student_create"),
        {
            "first_name": "Nina",
            "last_name": "Newcomer",
            "admission_number": "A-2026-78",
            "date_of_birth": "2013-04-02",
            "gender": "F",
            "is_active": "on",
            "photo": SimpleUploadedFile("nina.jpg", camera, content_type="image/jpeg"),
        },
    )
    assert response.status_code == 302
    student = Student.objects.get(admission_number="A-2026-78")
    assert thumbnail_image(student).size == (THUMBNAIL_SIDE, THUMBNAIL_SIDE)


def test_a_new_photo_gets_a_new_thumbnail_and_url_and_the_old_file_goes(
    pictured, django_capture_on_commit_callbacks
):
    old_name, old_url = pictured.photo_thumb.name, photo_thumbnail_url(pictured)
    storage = pictured.photo_thumb.storage
    with django_capture_on_commit_callbacks(execute=True):
        pictured.photo = upload(png_bytes((120, 120), "#aa0000"), "new.png")
        pictured.save()
    pictured.refresh_from_db()
    assert pictured.photo_thumb.name != old_name
    assert photo_thumbnail_url(pictured) != old_url
    assert thumbnail_image(pictured).getpixel((48, 48))[0] > 150  # the red photo's thumbnail
    assert not storage.exists(old_name)


def test_saving_other_fields_keeps_the_thumbnail(pictured):
    name = pictured.photo_thumb.name
    pictured.first_name = "Pippa"
    pictured.save()
    pictured.save(update_fields=["first_name"])
    pictured.refresh_from_db()
    assert pictured.photo_thumb.name == name


def test_removing_the_photo_removes_the_thumbnail(pictured, django_capture_on_commit_callbacks):
    name, storage = pictured.photo_thumb.name, pictured.photo_thumb.storage
    with django_capture_on_commit_callbacks(execute=True):
        pictured.photo = ""
        pictured.save()
    pictured.refresh_from_db()
    assert not pictured.photo_thumb
    assert photo_thumbnail_url(pictured) == ""
    assert not storage.exists(name)


def test_re_encoding_a_photo_makes_its_thumbnail_again(pictured):
    name = pictured.photo_thumb.name
    assert photo_reencode(person=pictured)
    pictured.refresh_from_db()
    assert pictured.photo_thumb.name != name
    assert thumbnail_image(pictured).size == (THUMBNAIL_SIDE, THUMBNAIL_SIDE)


def test_the_command_makes_the_thumbnails_photos_stored_before_lack(pictured, school):
    staff = school.teacher_staff
    staff.photo.save("t.png", ContentFile(png_bytes((50, 80))), save=True)
    Student.objects.filter(pk=pictured.pk).update(photo_thumb="")
    Staff.objects.filter(pk=staff.pk).update(photo_thumb="")
    out = io.StringIO()
    call_command("photos_thumbnail", stdout=out)
    assert "Made or updated 2 thumbnail(s)." in out.getvalue()
    for person in (Student.objects.get(pk=pictured.pk), Staff.objects.get(pk=staff.pk)):
        assert thumbnail_image(person).size == (THUMBNAIL_SIDE, THUMBNAIL_SIDE)
    call_command("photos_thumbnail", stdout=out)  # safe to run twice: nothing left to make
    assert "Made or updated 0 thumbnail(s)." in out.getvalue()


def test_the_data_migration_makes_the_thumbnails_of_stored_photos(pictured):
    Student.objects.filter(pk=pictured.pk).update(photo_thumb="")
    migration = importlib.import_module("modules.people.migrations.0003_photo_thumbnails")
    migration.make_thumbnails(apps, None)
    assert thumbnail_image(Student.objects.get(pk=pictured.pk)).size == (THUMBNAIL_SIDE, THUMBNAIL_SIDE)


def test_a_photo_that_is_not_an_image_gets_no_thumbnail_and_lists_show_the_photo(school):
    student = f.StudentFactory()
    student.photo.save("broken.png", ContentFile(b"not a picture"), save=True)
    student.refresh_from_db()
    assert not student.photo_thumb
    assert photo_thumbnail_url(student) == reverse("people:student_photo", args=[student.pk])


def test_it_serves_the_thumbnail_for_a_year_under_its_version(as_user, teacher, pictured):
    version = thumbnail_version(pictured.photo_thumb.name)
    assert photo_thumbnail_url(pictured) == thumb_url(pictured, version)
    response = as_user(teacher).get(thumb_url(pictured, version))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["Cache-Control"] == f"private, max-age={ONE_YEAR}, immutable"
    assert response["ETag"] == f'"{version}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    with pictured.photo_thumb.open("rb") as stored:
        assert body(response) == stored.read()


def test_it_answers_304_when_the_browser_has_this_version(as_user, teacher, pictured):
    version = thumbnail_version(pictured.photo_thumb.name)
    response = as_user(teacher).get(thumb_url(pictured, version), headers={"If-None-Match": f'"{version}"'})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == f'"{version}"'
    assert response["Cache-Control"] == f"private, max-age={ONE_YEAR}, immutable"
    # An ETag of an older thumbnail gets the current one.
    stale = as_user(teacher).get(thumb_url(pictured, version), headers={"If-None-Match": '"0123456789ab"'})
    assert stale.status_code == 200


def test_an_old_url_gets_the_current_thumbnail_without_the_long_cache(as_user, teacher, pictured):
    response = as_user(teacher).get(thumb_url(pictured, "0123456789ab"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"
    assert response["ETag"] == f'"{thumbnail_version(pictured.photo_thumb.name)}"'


@pytest.mark.parametrize("persona", ["admin", "teacher", "guardian", "student", "bursar"])
def test_it_serves_whoever_may_see_the_photo(persona, request, as_user, school):
    child = school.child
    child.photo = upload()
    child.save()
    response = as_user(request.getfixturevalue(persona)).get(thumb_url(child))
    assert response.status_code == 200


@pytest.mark.parametrize("persona", ["other_teacher", "other_guardian"])
def test_it_answers_404_to_whoever_may_not(persona, request, as_user, school):
    child = school.child
    child.photo = upload()
    child.save()
    version = thumbnail_version(child.photo_thumb.name)
    response = as_user(request.getfixturevalue(persona)).get(thumb_url(child, version))
    assert response.status_code == 404
    # Not even a 304: the ETag is not a way around the check.
    response = as_user(request.getfixturevalue(persona)).get(
        thumb_url(child, version), headers={"If-None-Match": f'"{version}"'}
    )
    assert response.status_code == 404


def test_it_answers_404_when_there_is_no_photo(as_user, admin, school):
    assert as_user(admin).get(thumb_url(school.child)).status_code == 404


def test_it_sends_a_visitor_to_log_in(client, pictured):
    response = client.get(thumb_url(pictured))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_it_refuses_a_post(as_user, teacher, pictured):
    assert as_user(teacher).post(thumb_url(pictured)).status_code == 405


def test_it_serves_a_staff_thumbnail_to_colleagues_only(as_user, teacher, guardian, school):
    staff = school.teacher_staff
    staff.photo.save("t.png", ContentFile(png_bytes((50, 80))), save=True)
    url = photo_thumbnail_url(staff)
    assert url.startswith(reverse("people:staff_photo_thumbnail", args=[staff.pk]) + "?v=")
    assert as_user(teacher).get(url).status_code == 200
    assert as_user(guardian).get(url).status_code == 404
