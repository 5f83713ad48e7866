"""The office reads the audit log: changes and exports, and who looked at which pupil's records, by student,
by person, by action and by dates; paginated; administrators only."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from modules.core.models import AuditEvent
from tests.reauth import reauthenticate

pytestmark = pytest.mark.django_db
URL = reverse("people:audit_log")


def edit_student(client, student, **changes):
    data = {
        "first_name": student.first_name,
        "last_name": student.last_name,
        "admission_number": student.admission_number,
        "date_of_birth": f"{student.date_of_birth:%Y-%m-%d}" if student.date_of_birth else "",
        "gender": student.gender,
        "admission_date": f"{student.admission_date:%Y-%m-%d}" if student.admission_date else "",
        "is_active": "on",
        **changes,
    }
    response = client.post(reverse("people:student_edit", args=[student.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.fixture
def history(as_user, admin, teacher, school):
    """The admin edits both children and exports the list; the teacher opens Sam's record twice."""
    office = reauthenticate(as_user(admin))
    edit_student(office, school.child, phone="+1 555 0199")
    edit_student(office, school.other_child, phone="+1 555 0177")
    assert office.get(reverse("people:student_export")).status_code == 200
    staff = as_user(teacher)
    for _ in range(2):
        staff.get(reverse("people:student_detail", args=[school.child.pk]))
    return as_user(admin)


def rows(response) -> str:
    return response.content.decode()


def test_it_lists_changes_and_exports_with_who_and_when(history, school):
    page = rows(history.get(URL))
    assert "Audit log" in page
    assert "3 results" in page
    assert "student.update" in page
    assert "student.export" in page
    assert "Ada Office" in page
    assert str(school.child) in page
    assert str(school.other_child) in page


def test_it_finds_one_students_entries_by_name_or_admission_number(history, school):
    for term in (school.child.last_name, school.child.admission_number.lower()):
        page = rows(history.get(URL, {"student": term}))
        assert "1 result" in page, term
        assert str(school.child) in page
        assert str(school.other_child) not in page


def test_it_filters_by_person_action_and_dates(history, school):
    assert "0 results" in rows(history.get(URL, {"actor": "teacher@school.test"}))
    assert "3 results" in rows(history.get(URL, {"actor": "Ada"}))
    page = rows(history.get(URL, {"action": "student.export"}))
    assert "1 result" in page
    assert "student.update" not in page
    today = timezone.localdate()
    assert "3 results" in rows(history.get(URL, {"start": f"{today}", "end": f"{today}"}))
    tomorrow = today + datetime.timedelta(days=1)
    assert "0 results" in rows(history.get(URL, {"start": f"{tomorrow}"}))
    assert "0 results" in rows(history.get(URL, {"end": f"{today - datetime.timedelta(days=1)}"}))


def test_it_shows_who_looked_at_a_pupils_records(history, school):
    page = rows(history.get(URL, {"show": "views"}))
    assert "1 result" in page
    assert "Tom Teach" in page
    assert str(school.child) in page
    assert "Student record" in page
    cells = re.findall(r"<td >([^<]*)</td>", page)
    assert cells[:5] == [
        f"{timezone.localdate():%Y-%m-%d}",
        "Tom Teach",
        "Student record",
        str(school.child),
        "2",
    ]
    assert "0 results" in rows(history.get(URL, {"show": "views", "student": school.other_child.last_name}))
    assert "1 result" in rows(history.get(URL, {"show": "views", "actor": "Tom", "kind": "record"}))
    assert "0 results" in rows(history.get(URL, {"show": "views", "kind": "grades"}))


def test_it_pages_a_long_log_and_answers_htmx_with_the_results_only(as_user, admin, school):
    AuditEvent.objects.bulk_create(
        AuditEvent(actor=admin, action="student.update", object_type="people.student", object_id="1")
        for _ in range(30)
    )
    client = as_user(admin)
    page = rows(client.get(URL))
    assert "30 results" in page
    assert "page=2" in page
    fragment = client.get(URL, {"page": 2}, headers={"HX-Request": "true"})
    assert "HX-Request" in fragment["Vary"]
    assert "<form" not in rows(fragment)
    assert "30 results" in rows(fragment)


def test_it_is_for_administrators_only(as_user, teacher, bursar, guardian, school, client):
    for user in (teacher, bursar, guardian):
        assert as_user(user).get(URL).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302


def test_the_office_menu_links_to_it(as_user, admin, school):
    assert f'href="{URL}"' in rows(as_user(admin).get(reverse("people:student_list")))


def test_it_refuses_post(as_user, admin, school):
    assert as_user(admin).post(URL).status_code == 405
