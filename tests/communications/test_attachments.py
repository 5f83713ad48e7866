"""Attachments: validated before anything is stored, kept under random names, served only to readers."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from modules.communications.models import (
    Announcement,
    Attachment,
    AudienceKind,
    Message,
    Thread,
    ThreadParticipant,
)
from tests.images import png_declaring, webp_header_with_garbage

pytestmark = pytest.mark.django_db
CREATE = reverse("communications:announcement_create")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf(name="Trip form.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def form_data(section, **overrides):
    data = {"title": "Museum trip", "body": "Forms attached.", "audience": "section", "section": section.pk}
    data.update(overrides)
    return data


def download(attachment):
    return reverse("communications:attachment_download", kwargs={"pk": attachment.pk})


def announcement_with_file(author, **fields):
    fields.setdefault("publish_at", timezone.now() - datetime.timedelta(hours=1))
    item = Announcement.objects.create(title="Museum trip", body="Forms attached.", author=author, **fields)
    attachment = Attachment(
        announcement=item,
        filename="Trip form.pdf",
        content_type="application/pdf",
        size=len(PDF),
        uploaded_by=author,
    )
    attachment.file.save("Trip form.pdf", ContentFile(PDF), save=True)
    return attachment


def message_with_file(sender, *participants):
    thread = Thread.objects.create(subject="About the trip", created_by=sender)
    for user in (sender, *participants):
        ThreadParticipant.objects.create(thread=thread, user=user)
    message = Message.objects.create(thread=thread, sender=sender, body="Here is the form.")
    attachment = Attachment(
        message=message,
        filename="Signed form.pdf",
        content_type="application/pdf",
        size=len(PDF),
        uploaded_by=sender,
    )
    attachment.file.save("Signed form.pdf", ContentFile(PDF), save=True)
    return attachment


# --- uploading --------------------------------------------------------------------------------------------


def test_it_stores_valid_files_under_random_names(as_user, school, teacher):
    response = as_user(teacher).post(
        CREATE,
        form_data(
            school.section,
            attachments=[
                pdf(),
                SimpleUploadedFile("list.txt", b"pencils\nglue\n", content_type="text/plain"),
            ],
        ),
    )
    assert response.status_code == 302
    first, second = Announcement.objects.get().attachments.all()
    assert (first.filename, first.content_type, first.size) == ("Trip form.pdf", "application/pdf", len(PDF))
    assert (second.filename, second.content_type) == ("list.txt", "text/plain")
    assert first.file.name.startswith("attachments/attachment/")
    assert first.file.name.endswith(".pdf")
    assert "Trip" not in first.file.name
    with first.file.open("rb") as stored:
        assert stored.read() == PDF
    assert first.uploaded_by == teacher


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("virus.exe", b"MZ\x90\x00", content_type="application/pdf"),
            "is not an accepted kind",
        ),
        (
            SimpleUploadedFile("fake.pdf", b"<html>hello</html>", content_type="application/pdf"),
            "is not really a .pdf",
        ),
        (SimpleUploadedFile("empty.pdf", b"", content_type="application/pdf"), "empty.pdf is empty."),
        (
            SimpleUploadedFile("photo.webp", webp_header_with_garbage(), content_type="image/webp"),
            "photo.webp could not be read as an image: it is damaged or not an image.",
        ),
        (
            SimpleUploadedFile("huge.png", png_declaring(50_000, 50_000), content_type="image/png"),
            "huge.png has too many pixels to be accepted",
        ),
    ],
)
def test_it_refuses_a_bad_file_and_creates_nothing(as_user, school, teacher, upload, message):
    response = as_user(teacher).post(CREATE, form_data(school.section, attachments=[pdf(), upload]))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Announcement.objects.exists()
    assert not Attachment.objects.exists()


def test_it_refuses_a_file_over_the_size_limit(as_user, school, teacher, settings):
    settings.STUDENTFLOW_ATTACHMENT_MAX_BYTES = 50
    response = as_user(teacher).post(CREATE, form_data(school.section, attachments=[pdf()]))
    assert "Trip form.pdf is too large (" in response.content.decode()
    assert "The limit is 50" in response.content.decode()
    assert not Announcement.objects.exists()
    assert not Attachment.objects.exists()


def test_it_adds_and_removes_files_when_editing(as_user, school, teacher):
    attachment = announcement_with_file(teacher, audience=AudienceKind.SECTION, section=school.section)
    item = attachment.announcement
    stored = attachment.file.name
    storage = attachment.file.storage
    edit = reverse("communications:announcement_edit", kwargs={"pk": item.pk})
    client = as_user(teacher)
    assert "Trip form.pdf" in client.get(edit).content.decode()
    data = form_data(
        school.section,
        publish_at=timezone.localtime(item.publish_at).strftime("%Y-%m-%dT%H:%M"),
        remove_attachments=[attachment.pk],
        attachments=[pdf("Map.pdf")],
    )

    response = client.post(edit, data)
    assert response.status_code == 302
    assert list(item.attachments.values_list("filename", flat=True)) == ["Map.pdf"]
    assert storage.exists(stored)  # removed from disk only once the change is committed


def test_it_removes_stored_files_once_the_change_is_committed(
    as_user, school, teacher, django_capture_on_commit_callbacks
):
    attachment = announcement_with_file(teacher, audience=AudienceKind.SECTION, section=school.section)
    stored, storage = attachment.file.name, attachment.file.storage
    delete = reverse("communications:announcement_delete", kwargs={"pk": attachment.announcement_id})
    with django_capture_on_commit_callbacks(execute=True):
        as_user(teacher).post(delete)
    assert not Attachment.objects.exists()
    assert not storage.exists(stored)


# --- downloading --------------------------------------------------------------------------------------------


def test_it_serves_an_announcement_file_to_its_audience_as_a_download(as_user, admin, school, guardian):
    attachment = announcement_with_file(admin, audience=AudienceKind.SECTION, section=school.section)
    page = as_user(guardian).get(
        reverse("communications:announcement_detail", kwargs={"pk": attachment.announcement_id})
    )
    assert download(attachment) in page.content.decode()
    response = as_user(guardian).get(download(attachment))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="Trip form.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_it_hides_an_announcement_file_from_another_family(as_user, admin, school, other_guardian, client):
    attachment = announcement_with_file(admin, audience=AudienceKind.SECTION, section=school.section)
    assert as_user(other_guardian).get(download(attachment)).status_code == 404
    client.logout()
    assert client.get(download(attachment)).status_code == 302


def test_it_hides_a_scheduled_announcements_file_except_from_its_author(as_user, school, teacher, guardian):
    attachment = announcement_with_file(
        teacher,
        audience=AudienceKind.SECTION,
        section=school.section,
        publish_at=timezone.now() + datetime.timedelta(days=1),
    )
    assert as_user(guardian).get(download(attachment)).status_code == 404
    assert as_user(teacher).get(download(attachment)).status_code == 200


def test_it_serves_a_message_file_to_the_threads_participants_only(
    as_user, school, teacher, guardian, other_guardian, admin
):
    attachment = message_with_file(teacher, guardian)
    response = as_user(guardian).get(download(attachment))
    assert response.status_code == 200
    assert 'filename="Signed form.pdf"' in response["Content-Disposition"]
    assert as_user(teacher).get(download(attachment)).status_code == 200
    assert as_user(other_guardian).get(download(attachment)).status_code == 404
    assert as_user(admin).get(download(attachment)).status_code == 404  # not a participant


def test_it_refuses_other_methods_and_unknown_files(as_user, admin, school, guardian):
    attachment = announcement_with_file(admin)
    assert as_user(guardian).post(download(attachment)).status_code == 405
    assert (
        as_user(guardian).get(reverse("communications:attachment_download", kwargs={"pk": 9999})).status_code
        == 404
    )
