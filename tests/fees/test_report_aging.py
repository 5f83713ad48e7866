"""The aging report: what is owed on open invoices by days past due, per grade level, with drill-down and
exports."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from modules.core.models import AuditEvent
from modules.fees import ledger
from modules.fees.reports import BUCKET_KEYS, aging, bucket_for
from tests import factories as f
from tests.fees.report_data import D, days, invoice, make_books
from tests.reauth import reauthenticate

pytestmark = pytest.mark.django_db
URL = reverse("fees:aging")


@pytest.mark.parametrize(
    ("past_due", "bucket"),
    [
        (-5, "current"),
        (0, "current"),
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "90+"),
        (400, "90+"),
    ],
)
def test_each_invoice_falls_in_its_bucket_at_the_edges(school, past_due, bucket):
    assert bucket_for(past_due).key == bucket
    invoice(school, school.child, "10.00", days(-past_due), school.section)
    report = aging()
    amounts = dict(zip(BUCKET_KEYS, report.total.amounts, strict=True))
    assert amounts[bucket] == D("10.00")
    assert sum(amounts.values()) == D("10.00")


def test_it_sums_outstanding_per_grade_level_with_a_total(school, bursar):
    make_books(school, bursar)
    grade8 = f.GradeLevelFactory(name="Grade 8", order=8)
    section8 = f.SectionFactory(year=school.year, grade_level=grade8, name="8A")
    invoice(school, f.StudentFactory(), "70.00", days(-75), section8)
    invoice(school, f.StudentFactory(), "20.00", days(-100))  # billed without a section
    report = aging()
    rows = {row.label: dict(zip(BUCKET_KEYS, row.amounts, strict=True)) for row in report.rows}
    # Grade 7: A 500 not yet due, B 100 left of 300 at 40 days; C (credited) and D (paid) owe nothing.
    assert rows["Grade 7"] == {
        "current": D("500.00"),
        "1-30": D("0.00"),
        "31-60": D("100.00"),
        "61-90": D("0.00"),
        "90+": D("0.00"),
    }
    assert rows["Grade 8"]["61-90"] == D("70.00")
    assert rows["No section"]["90+"] == D("20.00")
    assert [row.label for row in report.rows] == ["Grade 7", "Grade 8", "No section"]
    assert report.total.total == D("690.00")
    assert report.total.count == 4


def test_the_page_shows_the_table_and_drills_down_to_a_bucket(as_user, school, bursar):
    books = make_books(school, bursar)
    client = as_user(bursar)
    page = client.get(URL).content.decode()
    assert "Over 90 days" in page
    assert "USD 600.00" in page
    assert books.a.number in page
    assert books.b.number in page
    drilled = client.get(URL, {"bucket": "31-60", "grade": school.section.grade_level_id}).content.decode()
    assert books.b.number in drilled
    assert books.a.number not in drilled
    assert "USD 100.00" in drilled
    assert "1 invoice" in drilled
    nothing = client.get(URL, {"bucket": "90+"}).content.decode()
    assert "No invoices owing here" in nothing


def test_a_bad_filter_is_a_message_not_an_error(as_user, school, bursar):
    response = as_user(bursar).get(URL, {"bucket": "forever"})
    assert response.status_code == 200
    assert "Choose a bucket and a grade level from the lists." in response.content.decode()


def test_it_exports_the_invoices_owing_as_xlsx_and_csv_and_audits_it(as_user, school, bursar):
    make_books(school, bursar)
    evil = f.StudentFactory(first_name="=cmd|' /C calc'!A0", last_name="", admission_number="=1+1")
    invoice(school, evil, "45.00", days(-61), school.section)
    client = reauthenticate(as_user(bursar))

    response = client.get(URL, {"format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Invoice", "Student", "Admission number")
    by_name = {row[1]: row for row in rows[1:]}
    assert by_name["'=cmd|' /C calc'!A0"][2] == "'=1+1"
    assert by_name["'=cmd|' /C calc'!A0"][6:8] == (61, "61–90 days")
    assert by_name["Sam Parent"] is not None
    assert len(rows) == 1 + 3  # A, B and the new one

    text = client.get(URL, {"format": "csv", "bucket": "61-90"}).content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert len(lines) == 2
    assert lines[1][1] == "'=cmd|' /C calc'!A0"
    assert lines[1][-1] == "45.00"
    assert AuditEvent.objects.filter(action="fees.report_export").count() == 2


def test_a_payment_takes_the_invoice_out_of_aging(school, bursar):
    late = invoice(school, school.child, "80.00", days(-45), school.section)
    ledger.record_payment(student_id=school.child.pk, amount=D("80"), method="cash", key="k", by=bursar)
    late.refresh_from_db()
    assert aging().total.total == D("0.00")
    assert aging().rows == []


def test_others_are_refused(as_user, school, teacher, guardian, student):
    for user in (teacher, guardian, student):
        assert as_user(user).get(URL).status_code == 403
        assert as_user(user).get(URL, {"format": "csv"}).status_code == 403


def test_its_queries_do_not_grow_with_invoices(as_user, school, bursar, django_assert_max_num_queries):
    make_books(school, bursar)
    client = as_user(bursar)
    client.get(URL)
    with django_assert_max_num_queries(14) as small:
        client.get(URL)
    for index in range(30):
        invoice(school, f.StudentFactory(), "10.00", days(-index * 5), school.other_section)
    with django_assert_max_num_queries(14) as large:
        client.get(URL)
    assert len(large.captured_queries) == len(small.captured_queries)
