"""The student list export: an XLSX of what the list shows (same filters), for the office only, audited,
and safe to open (no formula runs from a name someone typed)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from modules.core.models import AuditEvent
from tests import factories as f
from tests.reauth import reauthenticate


@pytest.fixture
def office(as_user, admin, school):
    return reauthenticate(as_user(admin))


def _sheet(response) -> list[tuple]:
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith('attachment; filename="students-')
    workbook = load_workbook(io.BytesIO(response.content))
    return list(workbook.worksheets[0].iter_rows(values_only=True))


def test_it_exports_every_student_with_section_and_primary_guardian(office, school):
    rows = _sheet(office.get(reverse("people:student_export")))
    header, *data = rows
    assert header[:3] == ("Admission number", "Last name", "First name")
    by_number = {row[0]: row for row in data}
    assert set(by_number) == {"A-0001", "A-0002"}
    sam = by_number["A-0001"]
    assert sam[1:3] == ("Parent", "Sam")
    assert sam[5:7] == ("Grade 7", "7A")
    assert sam[11:13] == ("Pat Parent", "Mother")


def test_it_honours_the_list_filters(office, school):
    rows = _sheet(office.get(reverse("people:student_export"), {"section": school.other_section.pk}))
    assert [row[0] for row in rows[1:]] == ["A-0002"]
    rows = _sheet(office.get(reverse("people:student_export"), {"q": "Sam"}))
    assert [row[0] for row in rows[1:]] == ["A-0001"]


def test_it_audits_the_export_with_the_filters_and_row_count(office, admin, school):
    office.get(reverse("people:student_export"), {"q": "Sam", "gender": ""})
    event = AuditEvent.objects.get(action="student.export")
    assert event.actor == admin
    assert event.after["filters"] == {"q": "Sam"}
    assert event.after["rows"] == 1


def test_it_neutralises_formulas_in_cells(office, school):
    f.StudentFactory(
        admission_number="A-0100", first_name='=HYPERLINK("http://evil")', last_name="+Sum", address="@x"
    )
    rows = _sheet(office.get(reverse("people:student_export"), {"q": "A-0100"}))
    row = rows[1]
    assert row[1] == "'+Sum"
    assert row[2] == '\'=HYPERLINK("http://evil")'
    assert row[9] == "'@x"
    workbook = load_workbook(io.BytesIO(office.get(reverse("people:student_export")).content))
    assert all(cell.data_type != "f" for row in workbook.worksheets[0].iter_rows() for cell in row)


def test_its_queries_do_not_grow_with_students(office, school, django_assert_max_num_queries):
    with django_assert_max_num_queries(12) as captured:
        office.get(reverse("people:student_export"))
    few = len(captured)
    for _ in range(30):
        link = f.GuardianLinkFactory()
        f.EnrollmentFactory(student=link.student, section=school.section)
    with django_assert_max_num_queries(few):
        response = office.get(reverse("people:student_export"))
    assert len(_sheet(response)) == 33


@pytest.mark.parametrize("persona", ["teacher", "guardian", "student", "bursar"])
def test_other_roles_are_refused(request, as_user, school, persona):
    response = as_user(request.getfixturevalue(persona)).get(reverse("people:student_export"))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="student.export").exists()


def test_visitors_are_sent_to_log_in(client, school):
    response = client.get(reverse("people:student_export"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_it_refuses_post(office):
    assert office.post(reverse("people:student_export")).status_code == 405
