"""The office's audit log: filtered by student, by staff member, by kind and by date, and the filtered rows
exported as CSV and XLSX (behind the export guard, and itself audited)."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from modules.core.audit import audit_log, record_view_log
from modules.core.models import AuditEvent, RecordViewKind
from modules.people import audit_log as audit_page
from tests.reauth import reauthenticate

pytestmark = pytest.mark.django_db
URL = reverse("people:audit_log")


@pytest.fixture
def trail(school, admin, teacher):
    audit_log(actor=teacher, action="student.update", obj=school.child, after={"phone": "555"})
    audit_log(actor=admin, action="student.create", obj=school.other_child)
    audit_log(actor=admin, action="fees.invoice_export", obj=school.child, reason="Statement")
    old = audit_log(actor=teacher, action="student.update", obj=school.other_child)
    AuditEvent.objects.filter(pk=old.pk).update(at=timezone.now() - datetime.timedelta(days=40))
    record_view_log(actor=teacher, obj=school.child, kind=RecordViewKind.GRADES)
    return school


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_it_filters_by_student_staff_member_kind_and_date(trail, admin, as_user):
    client = as_user(admin)
    by_student = client.get(URL, {"student": "A-0002"}).content.decode()
    assert "Olive Elsewhere" in by_student
    assert trail.child.full_name not in by_student.split("results")[1]
    by_staff = client.get(URL, {"actor": "Teacher", "action": "student."}).content.decode()
    assert "2 results" in by_staff
    by_kind = client.get(URL, {"action": "fees.invoice_export"}).content.decode()
    assert "1 result" in by_kind
    since = (timezone.localdate() - datetime.timedelta(days=7)).isoformat()
    assert "3 results" in client.get(URL, {"start": since}).content.decode()


def test_it_exports_the_filtered_changes_as_csv(trail, admin, as_user):
    client = reauthenticate(as_user(admin))
    rows = _csv(client.get(URL, {"action": "student.", "format": "csv"}))
    assert rows[0][:4] == ["When", "Who", "Email", "Action"]
    assert sorted(row[3] for row in rows[1:]) == ["student.create", "student.update", "student.update"]
    assert {row[6] for row in rows[1:]} == {trail.child.full_name, trail.other_child.full_name}
    export = AuditEvent.objects.get(action="people.audit_log_export")
    assert export.after["rows"] == 3
    assert export.after["format"] == "csv"
    assert export.after["filters"] == {"action": "student."}


def test_it_exports_record_views_as_xlsx(trail, admin, teacher, as_user):
    client = reauthenticate(as_user(admin))
    response = client.get(URL, {"show": "views", "format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Day", "Who", "Email", "What", "Student")
    assert len(rows) == 2
    assert rows[1][2] == teacher.email
    assert rows[1][4] == trail.child.full_name


def test_an_export_asks_for_the_password_again_first(trail, admin, as_user):
    client = as_user(admin)
    response = client.get(URL, {"format": "csv"})
    assert response.status_code == 302
    assert reverse("account_reauthenticate") in response["Location"]
    assert not AuditEvent.objects.filter(action="people.audit_log_export").exists()


def test_too_many_rows_are_refused_with_a_message(trail, admin, as_user, monkeypatch):
    monkeypatch.setattr(audit_page, "EXPORT_MAX_ROWS", 2)
    client = reauthenticate(as_user(admin))
    response = client.get(URL, {"format": "xlsx"})
    assert response.status_code == 200
    assert "4 rows match these filters; an export holds at most 2." in response.content.decode()
    assert not AuditEvent.objects.filter(action="people.audit_log_export").exists()


@pytest.mark.parametrize("persona", ["teacher", "guardian", "bursar"])
def test_other_roles_cannot_export(request, trail, as_user, persona):
    client = as_user(request.getfixturevalue(persona))
    assert client.get(URL, {"format": "csv"}).status_code == 403
