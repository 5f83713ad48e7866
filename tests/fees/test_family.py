"""The family fees page: per child and for the whole family, what is owed, open and paid invoices and
payments with receipts; only one's own children; a fixed number of queries however big the family."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from modules.fees import ledger
from tests import factories as f
from tests.fees.stripe_fakes import two_children_with_invoices

pytestmark = pytest.mark.django_db
D = Decimal
URL = reverse("fees:family")


def test_it_shows_each_child_and_the_family_total(school, guardian, bursar, as_user):
    sister, sams, mias = two_children_with_invoices(school)
    overdue = f.InvoiceFactory(
        year=school.year,
        student=sister,
        total=D("40.00"),
        due_date=timezone.localdate() - datetime.timedelta(days=3),
    )
    payment = ledger.record_payment(
        student_id=school.child.pk, amount=D("500.00"), method="cash", key="k", by=bursar
    ).payment
    page = as_user(guardian).get(URL).content.decode()
    assert "Sam Parent" in page
    assert "Mia Parent" in page
    assert "USD 340.00" in page  # the family: Mia's 300 + 40; Sam paid
    assert "Nothing owed" in page  # Sam
    assert mias.number in page
    assert overdue.number in page
    assert "Overdue" in page
    assert sams.number in page
    assert "1 paid invoice" in page
    for invoice in (sams, mias, overdue):
        assert reverse("fees:invoice_pdf", kwargs={"pk": invoice.pk}) in page
    assert payment.receipt_number in page
    assert reverse("fees:receipt_pdf", kwargs={"pk": payment.pk}) in page
    assert "Olive" not in page


def test_credit_is_shown(school, guardian, bursar, as_user):
    ledger.record_payment(student_id=school.child.pk, amount=D("25.00"), method="cash", key="c", by=bursar)
    page = as_user(guardian).get(URL).content.decode()
    assert "Credit kept for the next invoice: USD 25.00" in page
    assert "In credit: USD 25.00" in page


def test_a_guardian_without_children_sees_an_empty_page(school, as_user):
    lonely = f.UserFactory(email="lonely@school.test")
    f.GuardianFactory(user=lonely, first_name="Lone", last_name="Parent", email=lonely.email)
    assert "No children are linked to your account" in as_user(lonely).get(URL).content.decode()


def test_other_roles_are_refused(school, teacher, student, bursar, as_user):
    for user in (teacher, student, bursar):
        assert as_user(user).get(URL).status_code == 403


def _grow_family(school, bursar, children: int, invoices_each: int, start: int = 0):
    for n in range(start, start + children):
        kid = f.StudentFactory(first_name=f"Kid{n}", last_name="Parent", admission_number=f"K-{n:03d}")
        f.GuardianLinkFactory(student=kid, guardian=school.guardian_profile, relationship="father")
        for _ in range(invoices_each):
            f.InvoiceFactory(year=school.year, student=kid, total=D("100.00"))
        ledger.record_payment(
            student_id=kid.pk, amount=D("150.00"), method="cash", key=f"grow-{n}", by=bursar
        )


def test_the_query_count_does_not_grow_with_children_or_invoices(
    school, guardian, bursar, as_user, queries_exactly, settings
):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_x"
    client = as_user(guardian)
    _grow_family(school, bursar, children=1, invoices_each=1)
    client.get(URL)  # warm caches (fee policy, currency, session)
    # 8: one of them reads the school's phone and email, shown in "how to pay" when the office gave none.
    with queries_exactly(8) as small:
        client.get(URL)
    _grow_family(school, bursar, children=6, invoices_each=4, start=1)
    with queries_exactly(8) as large:
        page = client.get(URL).content.decode()
    assert len(large.captured_queries) == len(small.captured_queries), [
        q["sql"] for q in large.captured_queries
    ]
    # Each new kid's 150 paid one invoice and half of another: 3 of 4 still open (the first kid: none).
    assert page.count('name="invoice"') == 6 * 3


def test_the_family_page_is_get_only(school, guardian, as_user):
    assert as_user(guardian).post(URL).status_code == 405
