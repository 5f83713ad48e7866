"""A student's statement: every invoice, credit note, payment and refund in date order with a running
balance, as a page and a PDF; for the bursar, the office and the student's own guardians."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from modules.core.models import AuditEvent
from modules.fees import ledger
from modules.fees.statement import statement
from tests.fees.report_data import D, days, invoice, make_books

pytestmark = pytest.mark.django_db


def _pdf_text(response) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_the_running_balance_ends_at_what_is_due(school, bursar):
    books = make_books(school, bursar)
    olive = statement(school.other_child)
    # D 100 (billed today) after the bank payment of T-30: credit 150 first, then the invoice, then the
    # refund of the 50 left over.
    assert [(entry.number, entry.debit, entry.credit, entry.balance) for entry in olive.entries] == [
        (books.bank.receipt_number, D("0.00"), D("150.00"), D("-150.00")),
        (books.d.number, D("100.00"), D("0.00"), D("-50.00")),
        (books.refund.number, D("50.00"), D("0.00"), D("0.00")),
    ]
    assert olive.closing_balance == olive.balance.due == D("0.00")

    sam = statement(school.child)
    kinds = [entry.kind for entry in sam.entries]
    assert kinds == ["Invoice", "Invoice", "Invoice", "Credit note", "Payment"]
    assert sam.total_debit == D("1000.00")
    assert sam.total_credit == D("400.00")
    assert sam.closing_balance == sam.balance.due == D("600.00")


def test_an_overpayment_ends_as_credit(school, bursar):
    invoice(school, school.child, "100.00", days(3), school.section)
    ledger.record_payment(student_id=school.child.pk, amount=D("130"), method="cash", key="k", by=bursar)
    sam = statement(school.child)
    assert sam.closing_balance == D("-30.00")
    assert (sam.balance.credit, sam.balance.due) == (D("30.00"), D("-30.00"))


def test_the_bursar_sees_the_page(as_user, school, bursar):
    books = make_books(school, bursar)
    response = as_user(bursar).get(reverse("fees:statement", kwargs={"pk": school.child.pk}))
    page = response.content.decode()
    assert response.status_code == 200
    for text in (books.a.number, books.b.number, books.c.number, books.cash.receipt_number, "Billed twice"):
        assert text in page
    assert "USD 600.00" in page
    assert reverse("fees:statement_pdf", kwargs={"pk": school.child.pk}) in page


def test_the_pdf_has_the_ledger_and_the_school(as_user, school, bursar):
    books = make_books(school, bursar)
    response = as_user(bursar).get(reverse("fees:statement_pdf", kwargs={"pk": school.other_child.pk}))
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = _pdf_text(response)
    for expected in (
        "Statement of account",
        "Olive Elsewhere",
        "A-0002",
        books.d.number,
        books.refund.number,
    ):
        assert expected in text
    assert "USD -150.00" in text  # the running balance after the payment of T-30, before the invoice
    assert AuditEvent.objects.filter(
        action="fees.statement_pdf", object_id=str(school.other_child.pk)
    ).exists()


def test_a_guardian_gets_their_childs_statement_only(as_user, school, bursar, guardian):
    make_books(school, bursar)
    client = as_user(guardian)
    assert client.get(reverse("fees:statement_pdf", kwargs={"pk": school.child.pk})).status_code == 200
    assert client.get(reverse("fees:statement", kwargs={"pk": school.child.pk})).status_code == 200
    for name in ("fees:statement", "fees:statement_pdf"):
        assert client.get(reverse(name, kwargs={"pk": school.other_child.pk})).status_code == 404


def test_teachers_and_students_do_not_see_it(as_user, school, teacher, student):
    for user in (teacher, student):
        for name in ("fees:statement", "fees:statement_pdf"):
            assert as_user(user).get(reverse(name, kwargs={"pk": school.child.pk})).status_code == 404


def test_an_empty_statement(as_user, school, bursar):
    page = as_user(bursar).get(reverse("fees:statement", kwargs={"pk": school.child.pk})).content.decode()
    assert "No invoices or payments yet." in page


def test_its_queries_do_not_grow_with_documents(as_user, school, bursar, django_assert_max_num_queries):
    make_books(school, bursar)
    client = as_user(bursar)
    url = reverse("fees:statement", kwargs={"pk": school.child.pk})
    client.get(url)
    with django_assert_max_num_queries(14) as small:
        client.get(url)
    for index in range(10):
        invoice(school, school.child, "10.00", days(index), school.section)
        ledger.record_payment(
            student_id=school.child.pk, amount=D("3"), method="cash", key=f"s{index}", by=bursar
        )
    with django_assert_max_num_queries(14) as large:
        client.get(url)
    assert len(large.captured_queries) == len(small.captured_queries)
