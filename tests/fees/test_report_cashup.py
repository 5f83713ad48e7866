"""The daily cash-up: one day's payments per method and per person, the cash to hand over, print and
exports."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from modules.fees import ledger
from modules.fees.reports import cashup
from tests import factories as f
from tests.fees.report_data import D, days, make_books
from tests.reauth import reauthenticate

pytestmark = pytest.mark.django_db
URL = reverse("fees:cashup")


def test_it_totals_the_day_per_method_and_person(school, bursar, admin):
    make_books(school, bursar)
    ledger.record_payment(student_id=school.child.pk, amount=D("30"), method="cash", key="a1", by=admin)
    ledger.record_payment(student_id=school.child.pk, amount=D("45"), method="cheque", key="a2", by=admin)
    ledger.record_payment(student_id=school.child.pk, amount=D("60"), method="card", key="stripe", by=None)
    report = cashup(days(0))
    methods = {row.method: (row.count, row.amount) for row in report.methods}
    assert methods == {
        "cash": (2, D("230.00")),
        "bank": (0, D("0.00")),
        "cheque": (1, D("45.00")),
        "card": (1, D("60.00")),
    }
    people = {recorder.name: recorder.amount for recorder in report.recorders}
    assert people == {
        "Ada Office": D("75.00"),
        "Bea Money": D("200.00"),
        "Online (Stripe) and unknown": D("60.00"),
    }
    # The 50 refunded in cash today comes out of the drawer.
    assert (report.cash_received, report.cash_refunded, report.cash_to_hand_over) == (
        D("230.00"),
        D("50.00"),
        D("180.00"),
    )


def test_the_page_defaults_to_today_and_prints(as_user, school, bursar):
    books = make_books(school, bursar)
    response = as_user(bursar).get(URL)
    page = response.content.decode()
    assert f'value="{days(0):%Y-%m-%d}"' in page
    assert books.cash.receipt_number in page
    assert books.bank.receipt_number not in page
    assert "Cash to hand over" in page
    assert "USD 150.00" in page
    assert "fees_reports.css" in page
    assert "fees_print.js" in page
    assert "data-print" in page


def test_another_day_shows_that_day(as_user, school, bursar):
    books = make_books(school, bursar)
    page = as_user(bursar).get(URL, {"day": f"{books.bank.received_on:%Y-%m-%d}"}).content.decode()
    assert books.bank.receipt_number in page
    assert books.cash.receipt_number not in page
    assert "TRF 981" in page


def test_a_bad_day_keeps_what_was_typed(as_user, school, bursar):
    page = as_user(bursar).get(URL, {"day": "2025-02-31"}).content.decode()
    assert 'value="2025-02-31"' in page
    assert "Enter a valid date." in page


def test_it_exports_the_day(as_user, school, bursar):
    make_books(school, bursar)
    evil = f.StudentFactory(first_name="+44 cmd", last_name="Z", admission_number="A-77")
    ledger.record_payment(student_id=evil.pk, amount=D("8"), method="cash", key="evil", by=bursar)
    client = reauthenticate(as_user(bursar))
    sheet = load_workbook(io.BytesIO(client.get(URL, {"format": "xlsx"}).content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3
    assert {row[2] for row in rows[1:]} == {"Sam Parent", "'+44 cmd Z"}
    text = client.get(URL, {"format": "csv"}).content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0][0] == "Receipt"
    assert len(lines) == 3
    assert {line[7] for line in lines[1:]} == {"200.00", "8.00"}


def test_others_are_refused(as_user, school, teacher, guardian):
    for user in (teacher, guardian):
        assert as_user(user).get(URL).status_code == 403


def test_its_queries_do_not_grow_with_payments(as_user, school, bursar, django_assert_max_num_queries):
    make_books(school, bursar)
    client = as_user(bursar)
    client.get(URL)
    with django_assert_max_num_queries(14) as small:
        client.get(URL)
    for index in range(20):
        ledger.record_payment(
            student_id=f.StudentFactory().pk, amount=D("5"), method="bank", key=f"p{index}", by=bursar
        )
    with django_assert_max_num_queries(14) as large:
        client.get(URL)
    assert len(large.captured_queries) == len(small.captured_queries)
