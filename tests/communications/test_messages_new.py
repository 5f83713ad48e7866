"""The "new message" page: contacts in the "To" list, the rules enforced on POST, attachments, bad input."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from modules.communications import messaging
from modules.communications.models import Attachment, Delivery, DeliveryStatus, Message, Notification, Thread
from tests import factories as f

pytestmark = pytest.mark.django_db
NEW = reverse("communications:message_new")
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def pdf(name="homework.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def form(recipient, **overrides):
    data = {"recipient": recipient.pk, "subject": "Maths homework", "body": "Sam was ill on Monday."}
    data.update(overrides)
    return data


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


def test_it_shows_the_guardians_contacts_with_clear_labels(
    as_user, school, admin, guardian, teacher, other_teacher
):
    page = as_user(guardian).get(NEW).content.decode()
    for label in ("To", "Subject", "Message", "About which child (optional)", "Attachments"):
        assert re.search(rf'<label\s+for="id_\w+" class="form-label[^"]*">\s*{re.escape(label)}\W', page), (
            label
        )
    assert re.search(r'<button type="submit"[^>]*>.*Send</button>', page)
    assert "Tom Teach (Teacher)" in page
    assert "Ada Office (Office)" in page
    assert "Olga Other" not in page
    assert "Sam Parent" in page
    assert "Olive Elsewhere" not in page
    assert 'enctype="multipart/form-data"' in page


def test_it_preselects_the_person_named_in_the_link(as_user, school, guardian, teacher):
    page = as_user(guardian).get(NEW, {"to": teacher.pk}).content.decode()
    assert f'<option value="{teacher.pk}" selected>' in page


def test_it_starts_a_thread_about_a_child_with_a_file_and_notifies_the_teacher(
    as_user, school, guardian, teacher, media
):
    response = as_user(guardian).post(NEW, {**form(teacher, student=school.child.pk), "attachments": [pdf()]})
    thread = Thread.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("communications:thread_detail", args=[thread.pk])
    assert (thread.subject, thread.student, thread.created_by) == ("Maths homework", school.child, guardian)
    assert set(thread.participants.values_list("user__email", flat=True)) == {guardian.email, teacher.email}
    message = Message.objects.get()
    assert (message.sender, message.body) == (guardian, "Sam was ill on Monday.")
    attachment = Attachment.objects.get()
    assert (attachment.message, attachment.filename, attachment.content_type) == (
        message,
        "homework.pdf",
        "application/pdf",
    )
    assert default_storage.open(attachment.file.name).read() == PDF
    notification = Notification.objects.get(recipient=teacher)
    assert notification.kind == "new_message"
    assert notification.title == "New message from Pat Parent: Maths homework"
    assert notification.url == reverse("communications:thread_detail", args=[thread.pk])
    email = Delivery.objects.get(recipient=teacher, channel="email")
    assert email.status == DeliveryStatus.QUEUED
    assert email.address == teacher.email
    assert "Sam was ill on Monday." in email.body_text
    assert not Notification.objects.filter(recipient=guardian).exists()


def test_it_lets_a_student_write_to_their_teacher_without_choosing_a_student(
    as_user, school, student, teacher
):
    client = as_user(student)
    page = client.get(NEW).content.decode()
    assert "About" not in page
    response = client.post(NEW, form(teacher, subject="Project question", body="Can I work with Olive?"))
    assert response.status_code == 302
    assert Thread.objects.get().participants.count() == 2


def test_it_refuses_a_recipient_outside_the_rules_and_keeps_what_was_typed(
    as_user, school, guardian, other_teacher, other_guardian
):
    client = as_user(guardian)
    for stranger in (other_teacher, other_guardian):
        response = client.post(NEW, form(stranger, subject="Typed subject", body="Typed words"))
        page = response.content.decode()
        assert response.status_code == 200
        assert "You cannot send a message to this person." in page
        assert 'value="Typed subject"' in page
        assert "Typed words" in page
    assert not Thread.objects.exists()
    assert not Notification.objects.exists()


def test_it_refuses_another_familys_child_as_the_subject(as_user, school, guardian, teacher):
    response = as_user(guardian).post(NEW, form(teacher, student=school.other_child.pk))
    assert "You cannot write about this student." in response.content.decode()
    assert not Thread.objects.exists()


def test_it_refuses_to_name_a_classmate_to_a_family(as_user, school, teacher, guardian):
    classmate = f.StudentFactory(first_name="Cleo", last_name="Classmate")
    f.EnrollmentFactory(student=classmate, section=school.section)
    response = as_user(teacher).post(NEW, form(guardian, student=classmate.pk))
    assert "You cannot write to this person about this student." in response.content.decode()
    assert not Thread.objects.exists()


def test_it_asks_for_a_message_and_a_subject(as_user, school, guardian, teacher):
    response = as_user(guardian).post(NEW, form(teacher, subject="", body="   "))
    page = response.content.decode()
    assert "Write a message before sending." in page
    assert "Give the message a subject." in page
    assert not Thread.objects.exists()


def test_it_refuses_a_message_that_is_too_long(as_user, school, guardian, teacher, settings):
    settings.STUDENTFLOW_MESSAGE_MAX_CHARS = 50
    response = as_user(guardian).post(NEW, form(teacher, body="x" * 51))
    assert "The limit is 50." in response.content.decode()
    assert not Thread.objects.exists()


@pytest.mark.parametrize(
    ("upload", "error"),
    [
        (SimpleUploadedFile("virus.exe", b"MZ\x90\x00"), "virus.exe is not an accepted kind of file."),
        (SimpleUploadedFile("letter.pdf", b"just some text"), "letter.pdf is not really a .pdf file."),
        (SimpleUploadedFile("notes.docx", b"PK\x03\x04 not a zip"), "notes.docx is not really a .docx file."),
    ],
)
def test_it_refuses_forbidden_or_fake_files(as_user, school, guardian, teacher, media, upload, error):
    response = as_user(guardian).post(NEW, {**form(teacher), "attachments": [pdf(), upload]})
    page = response.content.decode()
    assert error in page
    assert "Sam was ill on Monday." in page
    assert "if you attached any, choose them again" in page
    assert not Thread.objects.exists()
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_it_refuses_a_file_that_is_too_large(as_user, school, guardian, teacher, settings, media):
    settings.STUDENTFLOW_ATTACHMENT_MAX_BYTES = 1000
    response = as_user(guardian).post(
        NEW, {**form(teacher), "attachments": [pdf("big.pdf", PDF + b"0" * 1000)]}
    )
    assert "big.pdf is too large" in response.content.decode()
    assert not Thread.objects.exists()
    assert stored_files(media) == []


def test_it_accepts_a_real_word_document(as_user, school, guardian, teacher):
    upload = SimpleUploadedFile("note.docx", docx_bytes())
    as_user(guardian).post(NEW, {**form(teacher), "attachments": [upload]})
    assert Attachment.objects.get().filename == "note.docx"


def test_it_refuses_too_many_files(as_user, school, guardian, teacher):
    files = [pdf(f"page{n}.pdf") for n in range(messaging.MAX_ATTACHMENTS + 1)]
    response = as_user(guardian).post(NEW, {**form(teacher), "attachments": files})
    assert "Attach at most 5 files to one message." in response.content.decode()
    assert not Thread.objects.exists()


def test_it_leaves_nothing_behind_when_sending_fails_half_way(
    as_user, school, guardian, teacher, media, monkeypatch
):
    written = []

    def failing_notify(*args, **kwargs):
        written.extend(Attachment.objects.values_list("file", flat=True))
        raise RuntimeError("delivery service down")

    monkeypatch.setattr(messaging, "notify", failing_notify)
    with pytest.raises(RuntimeError):
        as_user(guardian).post(NEW, {**form(teacher), "attachments": [pdf(), pdf("second.pdf")]})
    assert len(written) == 2  # the files had been stored when it failed...
    assert not any(default_storage.exists(name) for name in written)  # ...and were removed
    assert not Thread.objects.exists()
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()


def test_it_refuses_a_login_without_a_role(as_user, school, teacher):
    nobody = f.UserFactory(email="nobody@school.test")
    client = as_user(nobody)
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, form(teacher)).status_code == 403
    assert not Thread.objects.exists()


def test_it_sends_visitors_to_log_in(client, school):
    response = client.get(NEW)
    assert response.status_code == 302
    assert "/login" in response.url


def test_it_answers_405_to_other_methods(as_user, school, guardian):
    client = as_user(guardian)
    assert client.put(NEW).status_code == 405
    assert client.delete(NEW).status_code == 405


def test_it_lists_contacts_without_a_query_per_person(
    as_user, school, teacher, django_assert_max_num_queries
):
    def add_family(n):
        child = f.StudentFactory(user=f.UserFactory(), first_name=f"Kid{n}")
        f.EnrollmentFactory(student=child, section=school.section)
        f.GuardianLinkFactory(student=child, guardian=f.GuardianFactory(user=f.UserFactory()))

    client = as_user(teacher)
    add_family(0)
    with CaptureQueriesContext(connection) as few:
        client.get(NEW)
    for n in range(1, 30):
        add_family(n)
    with django_assert_max_num_queries(len(few)):
        page = client.get(NEW).content.decode()
    assert page.count("(Parent / guardian)") == 31
    assert "Kid29" in page
