"""Staff looking at a pupil's record, grades, report card, attendance or absence-note documents leaves a
trace: one row per person, pupil, kind and day, counting the views (a busy day is a handful of rows), written
in one query. Families looking at their own child leave none."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from modules.attendance.models import AbsenceNote
from modules.core.models import RecordView

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def views():
    return list(
        RecordView.objects.order_by("kind").values_list("actor__email", "object_id", "kind", "count", "day")
    )


def test_it_rolls_up_an_office_days_views_of_a_record_into_one_row(as_user, admin, school):
    client = as_user(admin)
    url = reverse("people:student_detail", args=[school.child.pk])
    for _ in range(3):
        assert client.get(url).status_code == 200
    today = timezone.localdate()
    assert views() == [("admin@school.test", str(school.child.pk), "record", 3, today)]
    row = RecordView.objects.get()
    assert row.object_type == "people.student"
    assert row.object_repr == str(school.child)
    assert row.first_at <= row.last_at


def test_it_is_written_in_one_query(as_user, admin, school):
    client = as_user(admin)
    url = reverse("people:student_detail", args=[school.child.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    touching = [q["sql"] for q in first.captured_queries if "core_recordview" in q["sql"]]
    assert len(touching) == 1
    assert touching[0].startswith("INSERT")
    assert RecordView.objects.get().count == 2


def test_another_day_starts_a_new_row(as_user, admin, school):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    RecordView.objects.create(
        actor=admin,
        object_type="people.student",
        object_id=str(school.child.pk),
        kind="record",
        day=yesterday,
        count=7,
        first_at=timezone.now() - datetime.timedelta(days=1),
        last_at=timezone.now() - datetime.timedelta(days=1),
    )
    as_user(admin).get(reverse("people:student_detail", args=[school.child.pk]))
    assert sorted(RecordView.objects.values_list("day", "count")) == [
        (yesterday, 7),
        (timezone.localdate(), 1),
    ]


def test_each_person_and_pupil_has_its_own_row(as_user, admin, teacher, school):
    as_user(admin).get(reverse("people:student_detail", args=[school.child.pk]))
    as_user(admin).get(reverse("people:student_detail", args=[school.other_child.pk]))
    as_user(teacher).get(reverse("people:student_detail", args=[school.child.pk]))
    assert RecordView.objects.count() == 3


def test_a_teacher_leaves_a_trace_on_every_sensitive_page(as_user, teacher, guardian, school):
    note = AbsenceNote.objects.create(
        student=school.child,
        submitted_by=guardian,
        date_from=timezone.localdate(),
        date_to=timezone.localdate(),
        reason="Flu",
        file_name="doctor.pdf",
    )
    note.file.save("doctor.pdf", ContentFile(PDF), save=True)
    client = as_user(teacher)
    pages = [
        reverse("people:student_detail", args=[school.child.pk]),
        reverse("exams:child_grades", args=[school.child.pk]),
        reverse("exams:report_card", args=[school.child.pk, school.term.pk]),
        reverse("attendance:family_child", args=[school.child.pk]),
        reverse("attendance:note_file", args=[note.pk]),
    ]
    for url in pages:
        assert client.get(url).status_code == 200, url
    child = str(school.child.pk)
    assert views() == [
        ("teacher@school.test", child, kind, 1, timezone.localdate())
        for kind in ("attendance", "document", "grades", "record", "report_card")
    ]


def test_a_family_looking_at_its_own_child_leaves_no_trace(as_user, guardian, student, school):
    for user in (guardian, student):
        client = as_user(user)
        assert client.get(reverse("exams:child_grades", args=[school.child.pk])).status_code == 200
        assert client.get(reverse("attendance:family_child", args=[school.child.pk])).status_code == 200
    assert not RecordView.objects.exists()


def test_a_page_refused_leaves_no_trace(as_user, other_teacher, school):
    response = as_user(other_teacher).get(reverse("people:student_detail", args=[school.child.pk]))
    assert response.status_code == 404
    assert not RecordView.objects.exists()
