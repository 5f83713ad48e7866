"""Per-user rate limits on what reaches other people: new conversations, replies, announcements, absence
notes and invitations. Past the limit the page says so (429, or for HTMX the swapped fragment), keeps what
was typed, and nothing is written or sent."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from modules.attendance.models import AbsenceNote
from modules.communications.messaging import thread_start
from modules.communications.models import Announcement, Delivery, Message, Notification, Thread
from modules.people.models import Student
from tests import factories as f

pytestmark = pytest.mark.django_db
NEW = reverse("communications:message_new")
ANNOUNCE = reverse("communications:announcement_create")
HTMX = {"HX-Request": "true"}
REFUSED = "You have done this too many times in a short while. Please wait"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.STUDENTFLOW_RATE_LIMITS = {
        **settings.STUDENTFLOW_RATE_LIMITS,
        "message_thread": "3/m,10/h",
        "message_reply": "2/m",
        "announcement": "2/m",
        "absence_note": "2/m",
        "invitation": "2/m",
    }


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def new_thread(recipient, n):
    return {"recipient": recipient.pk, "subject": f"Question {n}", "body": "x" * 10_000}


def written():
    return (
        Thread.objects.count(),
        Message.objects.count(),
        Delivery.objects.count(),
        Notification.objects.count(),
    )


def test_it_stops_a_guardian_opening_thread_after_thread(
    as_user, school, guardian, teacher, django_capture_on_commit_callbacks
):
    client = as_user(guardian)
    with django_capture_on_commit_callbacks(execute=True):
        answers = [client.post(NEW, new_thread(teacher, n)).status_code for n in range(3)]
    assert answers == [302, 302, 302]
    before = written()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(NEW, new_thread(teacher, 4))
    assert response.status_code == 429
    page = response.content.decode()
    assert REFUSED in page
    assert "nothing was sent or saved this time." in page
    assert "Question 4" in page  # what was typed is still in the form
    assert written() == before
    assert not callbacks
    assert Thread.objects.count() == 3


def test_the_limit_is_per_person(as_user, school, guardian, other_guardian, teacher, other_teacher):
    for n in range(3):
        as_user(guardian).post(NEW, new_thread(teacher, n))
    assert as_user(guardian).post(NEW, new_thread(teacher, 9)).status_code == 429
    assert as_user(other_guardian).post(NEW, new_thread(other_teacher, 1)).status_code == 302


def test_a_refused_attempt_does_not_count(as_user, school, guardian, teacher, settings):
    settings.STUDENTFLOW_RATE_LIMITS = {**settings.STUDENTFLOW_RATE_LIMITS, "message_thread": "1/m,2/h"}
    client = as_user(guardian)
    assert client.post(NEW, new_thread(teacher, 1)).status_code == 302
    # Hammering the minute window must not use up the hour's allowance.
    for n in range(5):
        assert client.post(NEW, new_thread(teacher, n)).status_code == 429
    assert Thread.objects.count() == 1


def test_an_invalid_form_does_not_count(as_user, school, guardian, teacher):
    client = as_user(guardian)
    for _ in range(5):
        assert client.post(NEW, {"recipient": teacher.pk, "subject": "", "body": ""}).status_code == 200
    assert client.post(NEW, new_thread(teacher, 1)).status_code == 302


@pytest.fixture
def thread(school, guardian, teacher):
    return thread_start(sender=teacher, recipient=guardian, subject="Trip form", body="Please sign it.")


def test_it_refuses_a_reply_past_the_limit_in_the_htmx_fragment(as_user, thread, guardian):
    url = reverse("communications:thread_reply", args=[thread.pk])
    client = as_user(guardian)
    for n in range(2):
        assert client.post(url, {"body": f"Reply {n}"}, headers=HTMX).status_code == 200
    before = written()
    response = client.post(url, {"body": "One reply too many"}, headers=HTMX)
    # htmx swaps only 2xx answers: the refusal comes back in the reply form it replaces.
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#reply-form"
    fragment = response.content.decode()
    assert REFUSED in fragment
    assert "One reply too many" in fragment
    assert written() == before


def test_it_refuses_a_reply_past_the_limit_without_javascript(as_user, thread, guardian):
    url = reverse("communications:thread_reply", args=[thread.pk])
    client = as_user(guardian)
    for n in range(2):
        assert client.post(url, {"body": f"Reply {n}"}).status_code == 302
    response = client.post(url, {"body": "One reply too many"})
    assert response.status_code == 429
    page = response.content.decode()
    assert REFUSED in page
    assert "One reply too many" in page
    assert "Please sign it." in page
    assert Message.objects.filter(thread=thread).count() == 3


def test_it_stops_a_burst_of_announcements(as_user, school, teacher):
    client = as_user(teacher)
    data = {"body": "Bring a coat.", "audience": "section", "section": school.section.pk}
    for n in range(2):
        assert client.post(ANNOUNCE, {**data, "title": f"Trip {n}"}).status_code == 302
    response = client.post(ANNOUNCE, {**data, "title": "Trip again"})
    assert response.status_code == 429
    assert REFUSED in response.content.decode()
    assert "Trip again" in response.content.decode()
    assert Announcement.objects.count() == 2
    # Editing an existing one is not a new announcement and is not limited.
    edit = reverse("communications:announcement_edit", args=[Announcement.objects.first().pk])
    assert client.post(edit, {**data, "title": "Trip (coats)"}).status_code == 302


def test_it_stops_a_burst_of_absence_notes(as_user, school, guardian):
    url = reverse("attendance:note_create", kwargs={"pk": school.child.pk})
    client = as_user(guardian)

    today = timezone.localdate().isoformat()
    note = {"date_from": today, "date_to": today, "reason": "Dentist"}
    for _ in range(2):
        assert client.post(url, note).status_code == 302
    response = client.post(url, {**note, "reason": "Dentist again"})
    assert response.status_code == 429
    assert REFUSED in response.content.decode()
    assert "Dentist again" in response.content.decode()
    assert AbsenceNote.objects.count() == 2


def test_it_stops_resending_invitations_in_a_loop(
    as_user, school, admin, mailoutbox, django_capture_on_commit_callbacks
):
    parent = f.UserFactory(email="new.parent@example.test")
    parent.set_unusable_password()
    parent.save()
    guardian = f.GuardianFactory(user=parent, email=parent.email)
    url = reverse("people:person_invite", kwargs={"kind": "guardian", "pk": guardian.pk})
    client = as_user(admin)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert "An invitation was sent" in client.post(url, follow=True).content.decode()
    assert len(mailoutbox) == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert REFUSED in response.content.decode()
    assert "An invitation was sent" not in response.content.decode()
    assert len(mailoutbox) == 2


def test_creating_logins_counts_as_inviting(
    as_user, admin, school, mailoutbox, django_capture_on_commit_callbacks
):
    client = as_user(admin)

    def new_student(n):
        return {
            "first_name": "Nina",
            "last_name": f"Newcomer {n}",
            "admission_number": f"A-2026-{n}",
            "date_of_birth": "2013-04-02",
            "gender": "F",
            "admission_date": "2026-09-01",
            "email": f"nina{n}@school.test",
            "create_login": "on",
            "is_active": "on",
        }

    for n in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(reverse("people:student_create"), new_student(n)).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("people:student_create"), new_student(3))
    assert response.status_code == 429
    assert REFUSED in response.content.decode()
    assert "Newcomer 3" in response.content.decode()
    assert len(mailoutbox) == 2
    assert not Student.objects.filter(last_name="Newcomer 3").exists()
    # Without a login nothing is emailed, and the office can go on registering pupils.
    without_login = {**new_student(4), "create_login": ""}
    assert client.post(reverse("people:student_create"), without_login).status_code == 302
