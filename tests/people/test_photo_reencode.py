"""Profile photos are stored as a picture the server drew, never as the bytes that were uploaded: nothing
appended to an image (a polyglot) and none of its metadata survives, its size is bounded, and a file is an
image only if it decodes (a WebP header in front of garbage is not one, nor is a header declaring billions
of pixels)."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from modules.core.models import AuditEvent
from modules.people.models import Student
from tests.images import jpeg_bytes, png_bytes, png_declaring, webp_header_with_garbage

pytestmark = pytest.mark.django_db
CREATE = reverse("people:student_create")
SCRIPT = b"<html><body><script>fetch('/people/students/').then(r=>r.text())</script></body></html>"
ARTIST, DESCRIPTION = 0x013B, 0x010E


def form(photo):
    return {
        "first_name": "Nina",
        "last_name": "Newcomer",
        "admission_number": "A-2026-77",
        "date_of_birth": "2013-04-02",
        "gender": "F",
        "admission_date": "2026-09-01",
        "is_active": "on",
        "photo": photo,
    }


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload/index.html", SCRIPT)
    return buffer.getvalue()


def stored_photo() -> bytes:
    student = Student.objects.get(admission_number="A-2026-77")
    with student.photo.open("rb") as stored:
        return stored.read()


def test_it_stores_a_polyglot_jpeg_without_its_html_and_zip_payload(as_user, admin, school):
    polyglot = jpeg_bytes() + SCRIPT + zip_bytes()
    upload = SimpleUploadedFile("nina.jpg", polyglot, content_type="image/jpeg")
    response = as_user(admin).post(CREATE, form(upload))
    assert response.status_code == 302
    data = stored_photo()
    assert b"<script>" not in data
    assert b"payload/index.html" not in data
    assert b"PK\x03\x04" not in data
    assert not zipfile.is_zipfile(io.BytesIO(data))
    image = Image.open(io.BytesIO(data))
    image.load()
    assert (image.format, image.size) == ("JPEG", (64, 48))
    # The photo is shown through its own view, which serves exactly the re-encoded bytes.
    student = Student.objects.get(admission_number="A-2026-77")
    served = as_user(admin).get(reverse("people:student_photo", args=[student.pk]))
    assert b"".join(served.streaming_content) == data


def test_it_strips_the_metadata_and_shrinks_a_large_photo(as_user, admin, school, settings):
    settings.STUDENTFLOW_PHOTO_MAX_SIDE = 400
    camera = jpeg_bytes((1600, 1200), exif={ARTIST: "Nina's phone", DESCRIPTION: "Home, 12 Elm Street"})
    assert Image.open(io.BytesIO(camera)).getexif()  # the upload does carry EXIF
    as_user(admin).post(CREATE, form(SimpleUploadedFile("IMG_0001.jpeg", camera, content_type="image/jpeg")))
    data = stored_photo()
    image = Image.open(io.BytesIO(data))
    assert image.size == (400, 300)
    assert not image.getexif()
    assert b"Exif" not in data
    assert b"Nina's phone" not in data
    assert b"Elm Street" not in data


def test_it_keeps_a_png_as_a_png(as_user, admin, school):
    as_user(admin).post(
        CREATE, form(SimpleUploadedFile("nina.png", png_bytes((30, 20)), content_type="image/png"))
    )
    student = Student.objects.get(admission_number="A-2026-77")
    assert student.photo.name.startswith("photos/student/")
    assert student.photo.name.endswith(".png")
    assert Image.open(io.BytesIO(stored_photo())).size == (30, 20)


def test_it_refuses_a_webp_header_with_garbage_behind_it(as_user, admin, school):
    upload = SimpleUploadedFile("nina.webp", webp_header_with_garbage(), content_type="image/webp")
    response = as_user(admin).post(CREATE, form(upload))
    assert response.status_code == 200
    assert (
        "The photo could not be read as an image: it is damaged or not an image." in response.content.decode()
    )
    assert not Student.objects.filter(admission_number="A-2026-77").exists()


def test_it_refuses_a_decompression_bomb_unread(as_user, admin, school):
    bomb = png_declaring(50_000, 50_000)
    assert len(bomb) < 1000
    response = as_user(admin).post(
        CREATE, form(SimpleUploadedFile("nina.png", bomb, content_type="image/png"))
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The photo has too many pixels to be accepted (the limit is 40 megapixels)." in page
    assert not Student.objects.filter(admission_number="A-2026-77").exists()


def test_it_refuses_a_photo_over_the_pixel_limit_even_below_pillows_own(as_user, admin, school, settings):
    # Pillow only warns below twice its own limit (89 megapixels); the portal's limit is a refusal.
    settings.STUDENTFLOW_IMAGE_MAX_PIXELS = 1_000_000
    upload = SimpleUploadedFile("nina.png", png_bytes((1200, 1000)), content_type="image/png")
    response = as_user(admin).post(CREATE, form(upload))
    assert (
        "The photo has too many pixels to be accepted (the limit is 1 megapixels)."
        in response.content.decode()
    )
    assert not Student.objects.filter(admission_number="A-2026-77").exists()


def test_it_reencodes_a_staff_photo_too(as_user, admin, school):
    staff = school.teacher_staff
    polyglot = jpeg_bytes() + SCRIPT
    response = as_user(admin).post(
        reverse("people:staff_edit", args=[staff.pk]),
        {
            "first_name": staff.first_name,
            "last_name": staff.last_name,
            "email": staff.email,
            "staff_number": staff.staff_number,
            "position": "teacher",
            "is_active": "on",
            "photo": SimpleUploadedFile("tom.jpg", polyglot, content_type="image/jpeg"),
        },
    )
    assert response.status_code == 302
    staff.refresh_from_db()
    with staff.photo.open("rb") as stored:
        data = stored.read()
    assert b"<script>" not in data
    assert Image.open(io.BytesIO(data)).format == "JPEG"


def test_the_command_cleans_photos_stored_before_uploads_were_reencoded(
    as_user, admin, school, django_capture_on_commit_callbacks
):
    school.child.photo.save("old.jpg", ContentFile(jpeg_bytes() + SCRIPT + zip_bytes()), save=True)
    old_name = school.child.photo.name
    staff = school.teacher_staff
    staff.photo.save("broken.png", ContentFile(b"<html>not a picture</html>"), save=True)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("photos_reencode", stdout=out)
    assert "Re-encoded 1 photo(s)." in out.getvalue()
    assert f"Removed a stored photo that is not an image: staff member {staff.pk}" in out.getvalue()
    school.child.refresh_from_db()
    assert school.child.photo.name != old_name
    assert not school.child.photo.storage.exists(old_name)
    served = as_user(admin).get(reverse("people:student_photo", args=[school.child.pk]))
    data = b"".join(served.streaming_content)
    assert b"<script>" not in data
    assert Image.open(io.BytesIO(data)).format == "JPEG"
    staff.refresh_from_db()
    assert not staff.photo
    assert AuditEvent.objects.filter(action="photo.remove", object_id=str(staff.pk)).exists()
