"""A thread page: messages oldest first with their files, read on opening, only for its participants."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from modules.communications.messaging import message_post, thread_start
from modules.communications.models import Notification, ThreadParticipant

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def thread(school, guardian, teacher):
    thread = thread_start(
        sender=guardian,
        recipient=teacher,
        subject="Homework",
        body="Is there homework this weekend?",
        student=school.child,
        files=[SimpleUploadedFile("timetable.pdf", PDF)],
    )
    message_post(thread=thread, sender=teacher, body="Yes: exercises 4 to 9.")
    return thread


def url(thread):
    return reverse("communications:thread_detail", args=[thread.pk])


def test_it_shows_the_conversation_oldest_first_with_its_files(as_user, thread, teacher):
    response = as_user(teacher).get(url(thread))
    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1" in page
    assert "Homework" in page
    assert "about Sam Parent" in page
    assert "With Pat Parent" in page
    assert page.index("Is there homework this weekend?") < page.index("Yes: exercises 4 to 9.")
    attachment = thread.messages.first().attachments.get()
    assert "timetable.pdf" in page
    assert reverse("communications:attachment_download", kwargs={"pk": attachment.pk}) in page
    assert 'aria-live="polite"' in page


def test_it_has_a_reply_form_that_works_with_and_without_javascript(as_user, thread, guardian):
    page = as_user(guardian).get(url(thread)).content.decode()
    reply = reverse("communications:thread_reply", args=[thread.pk])
    assert f'action="{reply}"' in page
    assert f'hx-post="{reply}"' in page
    assert 'hx-target="#thread-messages"' in page
    assert 'hx-swap="beforeend"' in page
    assert "Reply</button>" in page


def test_it_marks_the_thread_and_its_notifications_read_on_opening(as_user, thread, guardian):
    assert Notification.objects.filter(recipient=guardian).unread().count() == 1
    as_user(guardian).get(url(thread))
    assert ThreadParticipant.objects.get(thread=thread, user=guardian).last_read_at is not None
    assert Notification.objects.filter(recipient=guardian).unread().count() == 0


def test_it_hides_the_thread_from_everyone_else(
    as_user, thread, other_guardian, other_teacher, admin, student
):
    for outsider in (other_guardian, other_teacher, admin, student):
        assert as_user(outsider).get(url(thread)).status_code == 404
    assert thread.participants.count() == 2


def test_it_answers_404_for_a_thread_that_does_not_exist(as_user, thread, guardian):
    assert (
        as_user(guardian).get(reverse("communications:thread_detail", args=[thread.pk + 99])).status_code
        == 404
    )


def test_it_answers_405_to_a_post(as_user, thread, guardian):
    assert as_user(guardian).post(url(thread), {"body": "Hello"}).status_code == 405


def test_it_sends_visitors_to_log_in(client, thread):
    response = client.get(url(thread))
    assert response.status_code == 302
    assert "/login" in response.url
