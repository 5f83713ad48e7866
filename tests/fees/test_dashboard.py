"""The bursar's dashboard and the bursar's home."""

from __future__ import annotations

import pytest
from django.urls import reverse

from modules.fees import ledger
from modules.fees.reports import dashboard
from tests import factories as f
from tests.fees.report_data import D, days, invoice, make_books

pytestmark = pytest.mark.django_db
URL = reverse("fees:dashboard")


def test_it_sums_the_term_and_the_year(school, bursar):
    make_books(school, bursar)
    figures = dashboard()
    # Term (T-10..T+50): A 500 + D 100 billed (C was credited in full); 200 cash today less the 50 refund.
    assert (
        figures.term_figures.billed,
        figures.term_figures.collected,
        figures.term_figures.outstanding,
    ) == (
        D("600.00"),
        D("150.00"),
        D("500.00"),
    )
    # The year adds B (300, 100 still owed) and the bank payment of T-30.
    assert (
        figures.year_figures.billed,
        figures.year_figures.collected,
        figures.year_figures.outstanding,
    ) == (
        D("900.00"),
        D("300.00"),
        D("600.00"),
    )
    assert (figures.overdue_count, figures.overdue_amount) == (1, D("100.00"))
    today = {row.method: (row.count, row.amount) for row in figures.today_by_method}
    assert today == {
        "cash": (1, D("200.00")),
        "bank": (0, D("0.00")),
        "cheque": (0, D("0.00")),
        "card": (0, D("0.00")),
    }
    assert figures.term_figures.collected_percent == 25


def test_it_shows_the_figures_to_the_bursar(as_user, school, bursar):
    books = make_books(school, bursar)
    response = as_user(bursar).get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("USD 600.00", "USD 150.00", "USD 500.00", "1 invoice overdue", "USD 900.00", "Term 1"):
        assert text in page
    assert books.cash.receipt_number in page
    assert books.bank.receipt_number in page
    for name in ("fees:aging", "fees:collections", "fees:cashup"):
        assert reverse(name) in page


def test_the_office_sees_it_and_others_are_refused(as_user, school, admin, teacher, guardian, student):
    assert as_user(admin).get(URL).status_code == 200
    for user in (teacher, guardian, student):
        assert as_user(user).get(URL).status_code == 403


def test_it_refuses_a_post(as_user, school, bursar):
    assert as_user(bursar).post(URL).status_code == 405


def _more_payments(school, bursar, count):
    for index in range(count):
        student = f.StudentFactory()
        invoice(school, student, "90.00", days(-3 - index), school.section)
        ledger.record_payment(
            student_id=student.pk, amount=D("40.00"), method="cheque", key=f"more-{count}-{index}", by=bursar
        )


def test_its_queries_do_not_grow_with_the_school(as_user, school, bursar, django_assert_max_num_queries):
    make_books(school, bursar)
    client = as_user(bursar)
    client.get(URL)  # warm the session and caches
    with django_assert_max_num_queries(16) as small:
        client.get(URL)
    _more_payments(school, bursar, 25)
    with django_assert_max_num_queries(16) as large:
        response = client.get(URL)
    assert len(large.captured_queries) == len(small.captured_queries)
    assert "26 invoices overdue" in response.content.decode()


def test_the_bursars_home_shows_the_summary_once_fees_are_set_up(as_user, school, bursar):
    home = as_user(bursar).get("/")
    assert "No fee structures yet" in home.content.decode()
    f.FeeStructureFactory(year=school.year, grade_level=school.section.grade_level)
    make_books(school, bursar)
    page = as_user(bursar).get("/").content.decode()
    assert "No fee structures yet" not in page
    assert "USD 600.00" in page
    assert reverse("fees:dashboard") in page


def test_a_school_without_an_academic_year_gets_an_empty_dashboard(as_user, bursar):
    response = as_user(bursar).get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Today's collections" in page
    assert "This term" not in page
    home = as_user(bursar).get("/")
    assert "No fee structures yet" in home.content.decode()


def test_it_shows_the_credit_families_hold(as_user, school, bursar):
    make_books(school, bursar)
    assert dashboard().credit_held == D("0.00")
    ledger.record_payment(student_id=school.other_child.pk, amount=D("35"), method="cash", key="x", by=bursar)
    assert dashboard().credit_held == D("35.00")
    page = as_user(bursar).get(URL).content.decode()
    assert "Families hold USD 35.00 in credit" in page
