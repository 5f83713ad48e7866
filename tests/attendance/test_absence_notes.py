"""Absence notes: a guardian sends one, a teacher of the child or the office answers it; accepting excuses
the absences it covers (audited) and the guardian is told."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from modules.attendance.models import AbsenceNote, AttendanceRecord
from modules.communications.models import Notification
from modules.core.models import AuditEvent
from tests import factories as f

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
NOTES = reverse("attendance:note_list")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def create_url(student) -> str:
    return reverse("attendance:note_create", kwargs={"pk": student.pk})


def detail_url(note) -> str:
    return reverse("attendance:note_detail", kwargs={"pk": note.pk})


def decide_url(note) -> str:
    return reverse("attendance:note_decide", kwargs={"pk": note.pk})


def file_url(note) -> str:
    return reverse("attendance:note_file", kwargs={"pk": note.pk})


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def absent(student, section, day, status="absent"):
    register = f.RegisterFactory(section=section, date=day, state="submitted")
    return f.AttendanceRecordFactory(register=register, student=student, status=status, date=day)


def note_for(student, by, *, start=3, end=2, with_file=False) -> AbsenceNote:
    note = AbsenceNote(student=student, submitted_by=by, date_from=days_ago(start), date_to=days_ago(end))
    note.reason = "Flu, seen by the doctor."
    if with_file:
        note.file_name = "Doctor's note.pdf"
        note.file.save("Doctor's note.pdf", ContentFile(PDF), save=False)
    note.save()
    return note


def test_it_lets_a_guardian_send_a_note_with_a_document(as_user, guardian, school, media):
    page = as_user(guardian).get(create_url(school.child))
    assert page.status_code == 200
    assert "Absence note for Sam Parent" in page.content.decode()
    response = as_user(guardian).post(
        create_url(school.child),
        {
            "date_from": days_ago(2).isoformat(),
            "date_to": days_ago(1).isoformat(),
            "reason": "Flu",
            "file": SimpleUploadedFile("doctor.pdf", PDF, content_type="application/pdf"),
        },
        follow=True,
    )
    note = AbsenceNote.objects.get()
    assert response.redirect_chain[-1][0] == detail_url(note)
    assert "Your note was sent" in response.content.decode()
    assert (note.student, note.submitted_by, note.status, note.file_name) == (
        school.child,
        guardian,
        "pending",
        "doctor.pdf",
    )
    # Stored privately under a random name, not the one the family gave it.
    assert note.file.name.startswith("absence-notes/")
    assert "doctor" not in note.file.name
    assert (media / note.file.name).read_bytes() == PDF


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("virus.exe", b"MZ\x90\x00", "is not an accepted kind of file"),
        ("fake.pdf", b"<html>not a pdf</html>", "is not really a .pdf file"),
        ("empty.pdf", b"", "is empty"),
    ],
)
def test_it_refuses_a_file_that_is_not_a_real_document(as_user, guardian, school, name, content, message):
    response = as_user(guardian).post(
        create_url(school.child),
        {
            "date_from": days_ago(1).isoformat(),
            "date_to": days_ago(1).isoformat(),
            "reason": "Flu",
            "file": SimpleUploadedFile(name, content),
        },
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not AbsenceNote.objects.exists()


def test_it_refuses_dates_in_the_wrong_order_or_too_far_ahead(as_user, guardian, school):
    client = as_user(guardian)
    backwards = {"date_from": days_ago(1).isoformat(), "date_to": days_ago(3).isoformat(), "reason": "Flu"}
    assert (
        "The last day cannot be before the first day."
        in client.post(create_url(school.child), backwards).content.decode()
    )
    ahead = (timezone.localdate() + datetime.timedelta(days=90)).isoformat()
    far = {"date_from": ahead, "date_to": ahead, "reason": "Trip"}
    assert "at most 60 days ahead" in client.post(create_url(school.child), far).content.decode()
    blank = {"date_from": days_ago(1).isoformat(), "date_to": days_ago(1).isoformat(), "reason": "  "}
    assert (
        "Say why your child is or was absent."
        in client.post(create_url(school.child), blank).content.decode()
    )
    assert not AbsenceNote.objects.exists()


def test_it_lets_only_the_childs_guardians_send_notes(
    as_user, other_guardian, teacher, admin, student, school
):
    for user in (other_guardian, teacher, admin, student):
        assert as_user(user).get(create_url(school.child)).status_code == 404
    assert as_user(other_guardian).put(create_url(school.other_child)).status_code == 405


def test_it_lists_pending_notes_for_the_childs_teachers_and_the_office(
    as_user, guardian, other_guardian, teacher, other_teacher, admin, school
):
    note_for(school.child, guardian)
    for user in (teacher, admin):
        text = as_user(user).get(NOTES).content.decode()
        assert "1 note waiting for an answer" in text
        assert "Sam Parent" in text
    assert "Sam Parent" not in as_user(other_teacher).get(NOTES).content.decode()
    for user in (guardian, other_guardian):
        assert as_user(user).get(NOTES).status_code == 403


def test_it_excuses_the_absences_when_the_teacher_accepts(
    as_user, guardian, teacher, school, django_capture_on_commit_callbacks, mailoutbox
):
    covered = absent(school.child, school.section, days_ago(3))
    also = absent(school.child, school.section, days_ago(2))
    outside = absent(school.child, school.section, days_ago(5))
    late = absent(school.child, school.section, days_ago(4), status="late")
    note = note_for(school.child, guardian, start=4, end=2)
    page = as_user(teacher).get(detail_url(note)).content.decode()
    assert "Accepting excuses 2 recorded absences on these days." in page

    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(teacher).post(
            decide_url(note), {"decision": "accept", "decision_note": "Get well soon."}, follow=True
        )
    assert "The note was accepted; 2 absences are now excused." in response.content.decode()
    for record in (covered, also):
        record.refresh_from_db()
        assert (record.status, record.reason) == ("excused", "Flu, seen by the doctor.")
    assert AttendanceRecord.objects.get(pk=outside.pk).status == "absent"
    assert AttendanceRecord.objects.get(pk=late.pk).status == "late"
    events = AuditEvent.objects.filter(action="attendance.excuse").order_by("object_id")
    assert [event.object_id for event in events] == [str(covered.pk), str(also.pk)]
    assert events[0].before["status"] == "absent"
    assert events[0].after["status"] == "excused"
    assert events[0].actor == teacher
    note.refresh_from_db()
    assert (note.status, note.decided_by, note.decision_note) == ("accepted", teacher, "Get well soon.")
    told = Notification.objects.get(recipient=guardian, kind="absence_note")
    assert told.title == "Absence note for Sam accepted"
    assert "Get well soon." in told.body
    assert [message.to for message in mailoutbox] == [["parent@school.test"]]
    assert "Accepted" in as_user(guardian).get(detail_url(note)).content.decode()


def test_it_changes_nothing_but_the_note_when_rejected(as_user, guardian, admin, school):
    record = absent(school.child, school.section, days_ago(2))
    note = note_for(school.child, guardian)
    response = as_user(admin).post(
        decide_url(note),
        {"decision": "reject", "decision_note": "Please bring a doctor's note."},
        follow=True,
    )
    assert "The note was not accepted." in response.content.decode()
    record.refresh_from_db()
    assert record.status == "absent"
    assert not AuditEvent.objects.filter(action="attendance.excuse").exists()
    note.refresh_from_db()
    assert note.status == "rejected"
    told = Notification.objects.get(recipient=guardian, kind="absence_note")
    assert told.title == "Absence note for Sam not accepted"
    assert "Please bring a doctor's note." in told.body


def test_it_refuses_to_decide_twice(as_user, guardian, teacher, admin, school):
    absent(school.child, school.section, days_ago(2))
    note = note_for(school.child, guardian)
    as_user(teacher).post(decide_url(note), {"decision": "reject"})
    response = as_user(admin).post(decide_url(note), {"decision": "accept"}, follow=True)
    assert "This note was already answered (not accepted). Nothing was changed." in response.content.decode()
    assert AttendanceRecord.objects.get().status == "absent"
    assert Notification.objects.filter(kind="absence_note").count() == 1


def test_it_asks_for_a_decision(as_user, guardian, teacher, school):
    note = note_for(school.child, guardian)
    response = as_user(teacher).post(decide_url(note), {"decision": "maybe"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    note.refresh_from_db()
    assert note.status == "pending"


def test_it_keeps_notes_from_other_teachers_and_families(
    as_user, guardian, other_guardian, other_teacher, student, bursar, school
):
    note = note_for(school.child, guardian, with_file=True)
    for user in (other_teacher, other_guardian, student, bursar):
        assert as_user(user).get(detail_url(note)).status_code == 404
        assert as_user(user).get(file_url(note)).status_code == 404
    for user in (other_teacher, guardian):
        assert as_user(user).post(decide_url(note), {"decision": "accept"}).status_code == 404
    assert as_user(other_teacher).get(decide_url(note)).status_code == 405
    note.refresh_from_db()
    assert note.status == "pending"


def test_it_serves_the_document_as_a_download_to_guardian_teacher_and_office(
    as_user, guardian, teacher, admin, school
):
    note = note_for(school.child, guardian, with_file=True)
    for user in (guardian, teacher, admin):
        response = as_user(user).get(file_url(note))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
    without = note_for(school.child, guardian)
    assert as_user(guardian).get(file_url(without)).status_code == 404


def test_it_shows_the_guardians_notes_on_the_childs_attendance_page(as_user, guardian, student, school):
    note = note_for(school.child, guardian)
    child_page = reverse("attendance:family_child", kwargs={"pk": school.child.pk})
    assert detail_url(note) in as_user(guardian).get(child_page).content.decode()
    # Notes may carry health details: the child's own page does not list them.
    assert detail_url(note) not in as_user(student).get(child_page).content.decode()


def test_it_lists_notes_in_the_same_number_of_queries_however_many(
    as_user, guardian, teacher, school, django_assert_max_num_queries
):
    client = as_user(teacher)
    note_for(school.child, guardian)
    with django_assert_max_num_queries(LIST_QUERIES):
        client.get(NOTES)
    for _ in range(10):
        note_for(school.child, guardian)
    with django_assert_max_num_queries(LIST_QUERIES):
        text = client.get(NOTES).content.decode()
    assert "11 notes waiting for an answer" in text


# Session, user with roles, pending notes with their students, answered notes.
LIST_QUERIES = 4
