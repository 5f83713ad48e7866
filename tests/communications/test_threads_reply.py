"""Replying in a thread: HTMX swaps in the new message, a plain POST redirects; others are notified."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from modules.communications.messaging import thread_start
from modules.communications.models import Attachment, Delivery, DeliveryStatus, Message, Notification

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n%%EOF\n"
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def thread(school, guardian, teacher):
    return thread_start(sender=teacher, recipient=guardian, subject="Trip form", body="Please sign the form.")


def reply_url(thread):
    return reverse("communications:thread_reply", args=[thread.pk])


def test_it_redirects_back_to_the_new_message_without_javascript(as_user, thread, guardian, teacher):
    response = as_user(guardian).post(reply_url(thread), {"body": "Signed, it is in Sam's bag."})
    message = Message.objects.get(sender=guardian)
    assert response.status_code == 302
    assert (
        response.url == reverse("communications:thread_detail", args=[thread.pk]) + f"#message-{message.pk}"
    )
    thread.refresh_from_db()
    assert thread.last_message_at == message.created_at
    page = as_user(guardian).get(response.url).content.decode()
    assert "Signed, it is in Sam&#x27;s bag." in page


def test_it_notifies_the_other_participant_in_app_and_by_email(as_user, thread, guardian, teacher):
    as_user(guardian).post(reply_url(thread), {"body": "Signed, it is in the bag."})
    message = Message.objects.get(sender=guardian)
    notification = Notification.objects.get(recipient=teacher)
    assert notification.title == "New message from Pat Parent: Trip form"
    assert notification.body == "Signed, it is in the bag."
    assert (notification.object_type, notification.object_id) == ("communications.message", str(message.pk))
    assert notification.url == reverse("communications:thread_detail", args=[thread.pk])
    email = Delivery.objects.get(recipient=teacher, channel="email", object_id=str(message.pk))
    assert email.status == DeliveryStatus.QUEUED
    assert email.address == teacher.email
    # The writer is not told about their own message.
    assert not Notification.objects.filter(recipient=guardian, object_id=str(message.pk)).exists()


def test_it_sends_the_queued_email_once_the_reply_is_saved(
    as_user, thread, guardian, teacher, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        as_user(guardian).post(reply_url(thread), {"body": "Signed, it is in the bag."})
    assert len(mailoutbox) == 1
    assert teacher.email in mailoutbox[0].to[0]
    assert mailoutbox[0].subject == "New message from Pat Parent: Trip form"


def test_it_swaps_in_only_the_new_message_for_htmx(as_user, thread, guardian):
    response = as_user(guardian).post(reply_url(thread), {"body": "Thank you!"}, headers=HTMX)
    page = response.content.decode()
    message = Message.objects.get(sender=guardian)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" not in page
    assert "<nav" not in page
    assert f'<li id="message-{message.pk}">' in page
    assert "Thank you!" in page
    # A fresh, empty reply form replaces the old one out of band.
    assert 'id="reply-form"' in page
    assert 'hx-swap-oob="outerHTML"' in page
    assert page.count("Thank you!") == 1


def test_it_keeps_the_typed_text_and_explains_for_htmx(as_user, thread, guardian, settings):
    settings.STUDENTFLOW_MESSAGE_MAX_CHARS = 20
    response = as_user(guardian).post(
        reply_url(thread), {"body": "This reply is far too long."}, headers=HTMX
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#reply-form"
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert "The limit is 20." in page
    assert "This reply is far too long." in page
    assert "<html" not in page
    assert not Message.objects.filter(sender=guardian).exists()


def test_it_keeps_the_typed_text_and_explains_without_javascript(as_user, thread, guardian, media):
    upload = SimpleUploadedFile("photo.png", b"not an image at all")
    response = as_user(guardian).post(reply_url(thread), {"body": "See the photo", "attachments": [upload]})
    page = response.content.decode()
    assert response.status_code == 200
    assert "photo.png is not really a .png file." in page
    assert "See the photo" in page
    assert "Please sign the form." in page  # the whole page, conversation included
    assert "if you attached any, choose them again" in page
    assert not Message.objects.filter(sender=guardian).exists()
    assert not Attachment.objects.exists()
    assert not [path for path in media.rglob("*") if path.is_file()]


def test_it_refuses_an_empty_reply(as_user, thread, guardian):
    response = as_user(guardian).post(reply_url(thread), {"body": "  "})
    assert "Write a message before sending." in response.content.decode()
    assert not Message.objects.filter(sender=guardian).exists()


def test_it_attaches_files_to_a_reply(as_user, thread, guardian):
    upload = SimpleUploadedFile("form.pdf", PDF)
    as_user(guardian).post(reply_url(thread), {"body": "Scanned form attached.", "attachments": [upload]})
    attachment = Attachment.objects.get()
    assert attachment.message.sender == guardian
    assert attachment.filename == "form.pdf"
    assert attachment.uploaded_by == guardian
    assert attachment.size == len(PDF)
    # A message's files stay behind the login: the email telling the teacher carries none.
    delivery = Delivery.objects.get(kind="new_message", channel="email", object_id=str(attachment.message_id))
    assert not delivery.attachments.exists()


def test_it_refuses_another_family_with_a_404_and_writes_nothing(as_user, thread, other_guardian, admin):
    for outsider in (other_guardian, admin):
        assert as_user(outsider).post(reply_url(thread), {"body": "Let me in"}).status_code == 404
        assert as_user(outsider).post(reply_url(thread), {"body": "x"}, headers=HTMX).status_code == 404
    assert thread.messages.count() == 1
    assert (
        not Notification.objects.filter(kind="new_message")
        .exclude(recipient__email="parent@school.test")
        .exists()
    )


def test_it_answers_405_to_a_get(as_user, thread, guardian):
    assert as_user(guardian).get(reply_url(thread)).status_code == 405


def test_it_sends_visitors_to_log_in(client, thread):
    response = client.post(reply_url(thread), {"body": "Hello"})
    assert response.status_code == 302
    assert "/login" in response.url
    assert thread.messages.count() == 1
