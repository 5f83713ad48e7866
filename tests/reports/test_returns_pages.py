"""The compliance returns' pages: the list, each return's date or period (bad input refused with a message),
access (administrators only), and the downloads: PDF and XLSX read back, audited, behind re-authentication."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from modules.core.models import AuditEvent
from modules.reports.returns_catalogue import RETURNS
from tests.reauth import reauthenticate


def _url(slug: str) -> str:
    return reverse("reports:return_detail", args=[slug])


def test_it_lists_every_return_with_its_form(admin, as_user):
    response = as_user(admin).get(reverse("reports:returns"))
    content = response.content.decode()
    assert response.status_code == 200
    for title in [
        "Enrolment census",
        "Attendance return",
        "Persistent absence list",
        "Fee arrears summary",
        "Staff list by role",
    ]:
        assert title in content
    for kind in RETURNS:
        assert f'action="{_url(kind.slug)}"' in content
    assert 'id="census-on"' in content  # each form's fields have ids of their own


@pytest.mark.parametrize("slug", [kind.slug for kind in RETURNS])
def test_each_return_shows_its_rules(school, admin, as_user, slug):
    response = as_user(admin).get(_url(slug))
    content = response.content.decode()
    assert response.status_code == 200
    assert "How this was counted" in content
    assert "Download PDF" in content


@pytest.mark.parametrize("persona", ["teacher", "bursar", "guardian", "student"])
def test_it_is_for_administrators_only(school, request, as_user, persona):
    client = as_user(request.getfixturevalue(persona))
    assert client.get(reverse("reports:returns")).status_code == 403
    assert client.get(_url("census")).status_code == 403
    assert client.get(_url("staff"), {"format": "xlsx"}).status_code == 403


def test_it_sends_visitors_to_log_in(client):
    assert client.get(_url("census")).status_code == 302


def test_an_unknown_return_is_not_found(admin, as_user):
    assert as_user(admin).get(_url("tax")).status_code == 404


def test_it_answers_get_only(admin, as_user):
    assert as_user(admin).post(_url("census")).status_code == 405


@pytest.mark.parametrize(
    ("slug", "params", "message"),
    [
        (
            "attendance",
            {"start": "2024-03-15", "end": "2024-03-01"},
            "The period must end on or after its first day.",
        ),
        ("attendance", {"start": "2024-03-01"}, "Give both dates of the period, or neither."),
        ("attendance", {"start": "2023-01-01", "end": "2024-12-31"}, "Choose a period of at most 400 days."),
        ("persistent-absence", {"start": "2024-13-45", "end": "2024-03-01"}, "Enter a valid date."),
        ("census", {"on": "not a date"}, "Enter a valid date."),
        (
            "census",
            {"start": "2024-03-15", "end": "2024-03-01"},
            "The period must end on or after its first day.",
        ),
        ("fee-arrears", {"on": "2020-01-01"}, "the date cannot be in the past"),
    ],
)
def test_a_bad_date_or_period_is_refused_with_a_message(school, admin, as_user, slug, params, message):
    client = as_user(admin)
    response = client.get(_url(slug), params)
    content = response.content.decode()
    assert response.status_code == 200
    assert message in content
    assert "Please correct the date or period above." in content
    assert "document" not in response.context
    # nor is anything downloaded
    reauthenticate(client)
    download = client.get(_url(slug), {**params, "format": "pdf"})
    assert download["Content-Type"].startswith("text/html")
    assert not AuditEvent.objects.filter(action="reports.return_export").exists()


def test_the_pdf_says_what_the_page_says(school, admin, as_user):
    client = reauthenticate(as_user(admin))
    response = client.get(_url("staff"), {"format": "pdf"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Staff list by role" in text
    assert "How this was counted" in text
    assert "Office, Ada" in text
    assert "Teach, Tom" in text
    event = AuditEvent.objects.get(action="reports.return_export")
    assert event.after["return"] == "staff"
    assert event.after["format"] == "pdf"


def test_the_xlsx_has_a_sheet_per_table_and_the_rules(school, admin, as_user):
    client = reauthenticate(as_user(admin))
    response = client.get(_url("staff"), {"format": "xlsx"})

    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["By role", "Staff", "Summary", "How this was counted"]
    by_role = [[cell.value for cell in row] for row in book["By role"].iter_rows()]
    assert by_role == [
        ["Role", "Staff", "Active staff", "Logins that can sign in"],
        ["Teacher", 2, 2, 2],
        ["Administrator", 1, 1, 1],
        ["Total", 3, 3, 3],
    ]
    rules = [row[0].value for row in book["How this was counted"].iter_rows(min_row=2)]
    assert rules[0] == "Every staff record, active or not, as it stands today."


@pytest.mark.parametrize("file_format", ["xlsx", "pdf"])
def test_a_download_asks_for_the_password_first(school, admin, as_user, file_format):
    response = as_user(admin).get(_url("staff"), {"format": file_format})
    assert response.status_code == 302
    assert "reauthenticate" in response["Location"]
    assert not AuditEvent.objects.filter(action="reports.return_export").exists()


@pytest.mark.parametrize(
    ("slug", "params", "count"),
    [
        # user, the date's school year, enrolments on roll, new enrolments, leavers, grade levels, the
        # unread count
        ("census", {"on": "2025-01-15"}, 7),
        # user, sections, the period's marks by student, the unread count, the form's term and grade choices
        # (names and sections are looked up only for the students listed)
        ("persistent-absence", {"start": "2024-03-01", "end": "2024-03-29"}, 6),
        # user, the aging, who is in arrears, the unread count (their guardians only when someone is)
        ("fee-arrears", {}, 4),
        # user, every staff member with their login and other roles, the unread count
        ("staff", {}, 3),
    ],
)
def test_each_return_takes_a_fixed_number_of_queries(
    school, admin, as_user, queries_exactly, slug, params, count
):
    client = as_user(admin)
    client.get(_url(slug), params)  # the session, the policy's and currency's caches
    with queries_exactly(count):
        assert client.get(_url(slug), params).status_code == 200


def test_a_pdf_that_cannot_be_made_says_so_and_is_not_audited(school, admin, as_user, settings):
    settings.STUDENTFLOW_PDF_TIMEOUT = 0  # the layout is stopped before it can finish
    client = reauthenticate(as_user(admin))
    response = client.get(_url("staff"), {"format": "pdf"})

    assert response.status_code == 503
    assert "took more than 0 seconds to produce" in response.content.decode()
    assert not AuditEvent.objects.filter(action="reports.return_export").exists()
