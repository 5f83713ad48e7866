"""The collections report: payments in a date range by method and by day, refunds netted, exports."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from modules.core.models import AuditEvent
from modules.fees import ledger
from modules.fees.reports import Period, collections
from tests import factories as f
from tests.fees.report_data import D, days, make_books
from tests.reauth import reauthenticate

pytestmark = pytest.mark.django_db
URL = reverse("fees:collections")


def test_it_sums_by_method_and_by_day_and_nets_refunds(school, bursar):
    books = make_books(school, bursar)
    report = collections(Period(days(-30), days(0)))
    methods = {row.method: (row.count, row.amount) for row in report.methods}
    assert methods["cash"] == (1, D("200.00"))
    assert methods["bank"] == (1, D("150.00"))
    refunds = {row.method: row.amount for row in report.refunds_by_method}
    assert refunds["cash"] == D("50.00")
    assert (report.received, report.refunded, report.net) == (D("350.00"), D("50.00"), D("300.00"))
    assert [(day.day, day.received, day.refunded) for day in report.days] == [
        (books.bank.received_on, D("150.00"), D("0.00")),
        (days(0), D("200.00"), D("50.00")),
    ]


def test_the_range_and_method_filter_what_is_counted(school, bursar):
    make_books(school, bursar)
    only_today = collections(Period(days(-29), days(0)))
    assert (only_today.received, only_today.net) == (D("200.00"), D("150.00"))
    bank = collections(Period(days(-30), days(0)), "bank")
    assert [row.method for row in bank.methods] == ["bank"]
    assert (bank.received, bank.refunded) == (D("150.00"), D("0.00"))
    before = collections(Period(days(-60), days(-31)))
    assert (before.received, before.payment_count, before.days) == (D("0.00"), 0, [])


def test_the_page_defaults_to_this_month(as_user, school, bursar):
    books = make_books(school, bursar)
    response = as_user(bursar).get(URL)
    page = response.content.decode()
    assert response.status_code == 200
    first = days(0).replace(day=1)
    assert f'value="{first:%Y-%m-%d}"' in page
    assert f'value="{days(0):%Y-%m-%d}"' in page
    assert books.cash.receipt_number in page
    assert books.refund.number in page
    assert "Overpaid" in page
    assert "?format=xlsx" in page
    assert "?format=csv" in page
    # The bank payment of T-30 shows only when this month began at least 30 days ago.
    assert (books.bank.receipt_number in page) == (books.bank.received_on >= first)


def test_a_chosen_range_shows_its_payments(as_user, school, bursar):
    books = make_books(school, bursar)
    page = (
        as_user(bursar)
        .get(URL, {"start": f"{days(-31):%Y-%m-%d}", "end": f"{days(-1):%Y-%m-%d}", "method": "bank"})
        .content.decode()
    )
    assert books.bank.receipt_number in page
    assert "TRF 981" in page
    assert books.cash.receipt_number not in page
    assert "USD 150.00" in page


def test_a_period_ending_before_it_starts_is_refused_and_the_dates_stay(as_user, school, bursar):
    response = as_user(bursar).get(URL, {"start": "2025-03-10", "end": "2025-03-01"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "The period must end on or after its first day." in page
    assert 'value="2025-03-10"' in page
    assert 'value="2025-03-01"' in page
    assert "Net collected" not in page
    assert (
        as_user(bursar)
        .get(URL, {"start": "2025-03-10", "end": "2025-03-01", "format": "csv"})["Content-Type"]
        .startswith("text/html")
    )


def test_it_exports_payments_and_refunds_safely(as_user, school, bursar):
    make_books(school, bursar)
    evil = f.StudentFactory(first_name="@SUM(1+1)", last_name="X", admission_number="A-9")
    ledger.record_payment(
        student_id=evil.pk,
        amount=D("12.50"),
        method="cheque",
        key="evil",
        by=bursar,
        reference="=HYPERLINK()",
    )
    client = reauthenticate(as_user(bursar))
    params = {"start": f"{days(-30):%Y-%m-%d}", "end": f"{days(0):%Y-%m-%d}"}
    sheet = load_workbook(io.BytesIO(client.get(URL, {**params, "format": "xlsx"}).content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == "Kind"
    kinds = [row[1] for row in rows[1:]]
    assert kinds.count("Payment") == 3
    assert kinds.count("Refund") == 1
    assert sum(row[7] for row in rows[1:]) == 312.5  # 200 + 150 + 12.50 − 50
    cheque = next(row for row in rows[1:] if row[5] == "Cheque")
    assert cheque[3] == "'@SUM(1+1) X"
    assert cheque[6] == "'=HYPERLINK()"
    text = client.get(URL, {**params, "format": "csv"}).content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert len(lines) == 5
    assert any(line[6] == "'=HYPERLINK()" for line in lines)
    assert any(line[1] == "Refund" and line[7] == "-50.00" for line in lines)
    assert AuditEvent.objects.filter(action="fees.report_export", object_type="fees.payment").count() == 2


def test_others_are_refused(as_user, school, teacher, other_guardian, student):
    for user in (teacher, other_guardian, student):
        assert as_user(user).get(URL).status_code == 403


def test_its_queries_do_not_grow_with_payments(as_user, school, bursar, django_assert_max_num_queries):
    make_books(school, bursar)
    client = as_user(bursar)
    params = {"start": f"{days(-30):%Y-%m-%d}", "end": f"{days(0):%Y-%m-%d}"}
    client.get(URL, params)
    with django_assert_max_num_queries(16) as small:
        client.get(URL, params)
    for index in range(20):
        student = f.StudentFactory()
        ledger.record_payment(
            student_id=student.pk,
            amount=D("5"),
            method="cash",
            key=f"p{index}",
            by=bursar,
            received_on=days(-index),
        )
    with django_assert_max_num_queries(16) as large:
        client.get(URL, params)
    assert len(large.captured_queries) == len(small.captured_queries)
