"""The classic monthly register of a section, as PDF and XLSX: codes, totals, closures, access, audit."""

from __future__ import annotations

import datetime
import io

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from openpyxl import load_workbook
from weasyprint import HTML

from modules.attendance.register_export import monthly_register, parse_month
from modules.core.models import AuditEvent
from modules.core.pdf import PDF_BASE_URL, PortalUrlFetcher
from tests import factories as f
from tests.attendance.reports_helpers import daily_registers, mark, past_section, pupils, school_days
from tests.reauth import reauthenticate

MARCH = {"month": "2024-03"}


def d(day: int) -> datetime.date:
    return datetime.date(2024, 3, day)


@pytest.fixture
def march(school, teacher):
    """P7A in March 2024: registers every weekday except Friday 29 (a holiday); Bob absent on the 11th,
    excused on the 12th, late on the 13th; Amy present throughout; nothing recorded on the 28th."""
    section = past_section("P7A", teacher=teacher)
    f.CalendarEventFactory(name="Spring holiday", kind="holiday", start_date=d(29), end_date=d(29))
    amy, bob = pupils(section, "Amy Able", "Bob Brook")
    days = [day for day in school_days(d(1), d(31)) if day not in (d(28), d(29))]
    mark(
        daily_registers(section, days),
        {(bob, d(11)): "absent", (bob, d(12)): "excused", (bob, d(13)): "late"},
        students=[amy, bob],
    )
    return section


def test_it_builds_codes_and_totals(march):
    register = monthly_register(section=march, month=d(1), mode="daily")
    assert len(register.days) == 31
    assert register.school_days == 20
    amy, bob = register.lines
    assert bob.codes[10:13] == ["A", "E", "L"]  # 11–13 March
    assert bob.codes[8] == "—"
    assert bob.codes[9] == "—"
    assert bob.codes[27] == ""
    assert bob.codes[28] == "—"
    assert (bob.present, bob.late, bob.absent, bob.excused) == (16, 1, 1, 1)
    assert (amy.present, amy.absent) == (19, 0)
    day_11 = register.days[10]
    assert (day_11.present, day_11.absent) == (1, 1)
    assert register.days[28].closure == "Spring holiday"
    assert not register.days[28].open


def test_it_downloads_the_pdf(march, admin, as_user):
    response = reauthenticate(as_user(admin)).get(
        reverse("attendance:reports_monthly_pdf", kwargs={"pk": march.pk}), MARCH
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="register-P7A-2024-03.pdf"'
    assert response.content.startswith(b"%PDF-")
    assert len(response.content) > 5000
    event = AuditEvent.objects.get(action="attendance.register_export")
    assert event.actor == admin
    assert event.object_id == str(march.pk)
    assert event.after == {"month": "2024-03", "format": "pdf", "students": 2}


def test_it_fits_forty_students_on_one_landscape_page(march):
    pupils(march, *[f"Student{n} Longfamilyname{n}" for n in range(38)])
    register = monthly_register(section=march, month=d(1), mode="daily")
    assert len(register.lines) == 40
    html = render_to_string("attendance/monthly_register.html", {"register": register})
    document = HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=PortalUrlFetcher()).render()
    assert len(document.pages) == 1
    page = document.pages[0]
    assert page.width > page.height  # landscape


def test_it_repeats_the_header_on_every_page(march):
    pupils(march, *[f"Student{n} Family{n}" for n in range(78)])
    register = monthly_register(section=march, month=d(1), mode="daily")
    html = render_to_string("attendance/monthly_register.html", {"register": register})
    document = HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=PortalUrlFetcher()).render()
    assert len(document.pages) >= 2

    def texts(box):
        if getattr(box, "text", None):
            yield box.text
        for child in getattr(box, "children", []):
            yield from texts(child)

    for page in document.pages:
        words = list(texts(page._page_box))
        assert "Student" in words  # the column heads
        assert "StudentFlow School" in words  # the school's name in the page header


def test_it_downloads_the_xlsx_with_codes_and_totals(march, teacher, as_user):
    response = reauthenticate(as_user(teacher)).get(
        reverse("attendance:reports_monthly_xlsx", kwargs={"pk": march.pk}), MARCH
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="register-P7A-2024-03.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header, amy, bob, present, absent = rows
    assert header[:4] == ["Student", "Admission number", "1 Fr", "2 Sa"]
    assert header[-5:] == ["P", "L", "A", "E", "Attendance rate (%)"]
    assert amy[0] == "Able, Amy"
    assert bob[0] == "Brook, Bob"
    assert bob[2 + 10 : 2 + 13] == ["A", "E", "L"]
    assert bob[2 + 8] == "—"
    assert bob[2 + 27] in ("", None)
    # The rate counts the excused day as missed: 17 of 19 attended.
    assert bob[-5:] == [16, 1, 1, 1, 89.5]
    assert amy[-5:] == [19, 0, 0, 0, 100]
    assert present[0] == "Present (P + L)"
    assert present[2 + 10] == 1
    assert present[2 + 8] == "—"
    assert absent[0] == "Absent (A + E)"
    assert absent[2 + 10] == 1
    assert absent[-3:-1] == [1, 1]
    assert AuditEvent.objects.filter(action="attendance.register_export", actor=teacher).count() == 1


def test_it_refuses_a_bad_month_with_a_message(march, admin, as_user):
    client = as_user(admin)
    for month in ("2024-13", "March", "1890-01"):
        url = reverse("attendance:reports_monthly_pdf", kwargs={"pk": march.pk})
        response = client.get(url, {"month": month}, follow=True)
        assert response.redirect_chain[0][0] == reverse("attendance:reports_section", kwargs={"pk": march.pk})
        assert "Choose a month as year and month, for example 2025-03." in response.content.decode()
    assert not AuditEvent.objects.filter(action="attendance.register_export").exists()


def test_it_defaults_to_this_month():
    today = datetime.date(2024, 3, 20)
    assert parse_month("", today) == d(1)
    assert parse_month("2024-02") == datetime.date(2024, 2, 1)


def test_it_limits_the_register_to_the_office_and_the_homeroom_teacher(
    march, other_teacher, guardian, student, bursar, as_user, client
):
    for name in ("attendance:reports_monthly_pdf", "attendance:reports_monthly_xlsx"):
        url = reverse(name, kwargs={"pk": march.pk})
        assert as_user(other_teacher).get(url, MARCH).status_code == 404
        for persona in (guardian, student, bursar):
            assert as_user(persona).get(url, MARCH).status_code == 403
        client.logout()
        assert client.get(url, MARCH).status_code == 302
    assert not AuditEvent.objects.filter(action="attendance.register_export").exists()


def test_it_answers_only_get(march, admin, as_user):
    url = reverse("attendance:reports_monthly_pdf", kwargs={"pk": march.pk})
    assert as_user(admin).post(url, MARCH).status_code == 405
