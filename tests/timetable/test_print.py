"""The printed timetable and the export (modules/timetable/printing.py, exporting.py) through HTTP: one
page per section, teacher or room; the whole school's booklet; the XLSX a row a lesson."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from modules.core.models import AuditEvent, Job
from modules.timetable import printing
from tests import factories as f
from tests.reauth import reauthenticate
from tests.timetable.week_fixtures import *  # noqa: F403


def _pdf_pages(response) -> list[str]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return _pdf_pages_of(response.content)


def _pdf_pages_of(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def test_it_prints_a_section_week_on_one_page(school, live, admin, as_user):
    response = as_user(admin).get(
        reverse("timetable:section_pdf", args=[school.section.pk]), {"date": live.monday.isoformat()}
    )
    (page,) = _pdf_pages(response)
    assert "Section 7A" in page
    assert "Mathematics" in page
    assert "Lab 1" in page
    assert "History" not in page


def test_it_prints_the_whole_school_a_page_each(school, live, admin, as_user):
    client = as_user(admin)
    url = reverse("timetable:booklet", args=["sections"])
    pages = _pdf_pages(client.post(url, {"date": live.monday.isoformat()}))
    assert len(pages) == 2
    assert "Section 7A" in pages[0]
    assert "History" in pages[1]
    teachers = _pdf_pages(client.post(reverse("timetable:booklet", args=["teachers"])))
    assert len(teachers) == 2
    rooms = _pdf_pages(client.post(reverse("timetable:booklet", args=["rooms"])))
    assert [("Lab 1" in page, "Room 12" in page) for page in rooms] == [(True, False), (False, True)]
    assert client.post(reverse("timetable:booklet", args=["cupboards"])).status_code == 404
    assert client.get(url).status_code == 405


def test_it_prints_a_large_school_in_the_background(
    school, live, admin, as_user, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(printing, "BOOKLET_AT_ONCE", 1)
    monkeypatch.setattr(printing, "BOOKLET_CHUNK", 1)
    client = as_user(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("timetable:booklet", args=["sections"]), {"date": live.monday.isoformat()}
        )
    job = Job.objects.get(kind=printing.BOOKLET_JOB_KIND)
    assert response.status_code == 302
    assert response["Location"] == reverse("job_progress", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Timetable: every section" in page
    assert "2 pages in one PDF." in page
    pages = _pdf_pages_of(b"".join(client.get(reverse("job_download", args=[job.pk])).streaming_content))
    assert len(pages) == 2
    assert "Section 7B" in pages[1]


def test_it_prints_a_childs_week_for_their_guardian(school, live, guardian, as_user):
    response = as_user(guardian).get(
        reverse("timetable:child_week_pdf", args=[school.child.pk]), {"date": live.monday.isoformat()}
    )
    (page,) = _pdf_pages(response)
    assert school.child.full_name in page
    assert "Mathematics" in page


def test_it_prints_a_teachers_own_week(school, live, teacher, as_user):
    (page,) = _pdf_pages(
        as_user(teacher).get(reverse("timetable:my_week_pdf"), {"date": live.monday.isoformat()})
    )
    assert "7A" in page


@pytest.mark.parametrize("name", ["section_pdf", "teacher_pdf", "room_pdf"])
def test_it_refuses_a_teacher_the_office_prints(school, live, teacher, as_user, name):
    obj = {"section_pdf": school.section, "teacher_pdf": school.teacher_staff, "room_pdf": live.lab}[name]
    assert as_user(teacher).get(reverse(f"timetable:{name}", args=[obj.pk])).status_code == 403


def test_it_exports_the_week_a_row_a_lesson(school, live, admin, as_user):
    wednesday = live.monday + datetime.timedelta(days=2)
    f.CalendarEventFactory(name="Closed", kind="closure", start_date=wednesday, end_date=wednesday)
    response = reauthenticate(as_user(admin)).get(
        reverse("timetable:export"), {"date": live.monday.isoformat()}
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Date", "Weekday", "Period")
    assert [(row[1], row[2], row[6], row[7], row[9]) for row in rows[1:]] == [
        ("Monday", "P1", "7A", "Mathematics", "Room 12"),
        ("Monday", "P1", "7B", "History", "Lab 1"),
        ("Tuesday", "P2", "7B", "History", "Room 12"),
    ]
    assert AuditEvent.objects.filter(action="timetable.export", actor=admin).exists()


def test_it_asks_for_the_password_again_before_exporting(school, live, admin, as_user):
    response = as_user(admin).get(reverse("timetable:export"))
    assert response.status_code == 302
    assert "reauthenticate" in response["Location"]
