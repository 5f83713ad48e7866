"""Homes: each child's card shows what is owed and leads to the family fees page; a student sees their own
balance only when the school allows it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from modules.fees.models import FeePolicy
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_guardian_home_shows_each_childs_balance(school, guardian, as_user):
    f.InvoiceFactory(year=school.year, student=school.child, total=Decimal("120.00"))
    page = as_user(guardian).get("/").content.decode()
    assert "Fees due: USD 120.00" in page
    assert reverse("fees:family") in page


def test_the_guardian_home_says_when_nothing_is_owed(school, guardian, as_user):
    assert "Fees: nothing owed" in as_user(guardian).get("/").content.decode()


def test_the_student_sees_their_balance_only_when_the_school_allows_it(school, student, as_user):
    f.InvoiceFactory(year=school.year, student=school.child, total=Decimal("75.00"))
    assert "School fees owed" not in as_user(student).get("/").content.decode()
    policy = FeePolicy.load()
    policy.students_see_balance = True
    policy.save()
    page = as_user(student).get("/").content.decode()
    assert "School fees owed: USD 75.00" in page
    assert reverse("fees:family") not in page  # no invoices or payments for students


def test_the_guardian_home_stays_within_its_query_budget(school, guardian, as_user, queries_exactly):
    """bench/measures/home.py allows the homes 12 queries; the balances add two, for all children, and the
    children's homework one."""
    client = as_user(guardian)
    client.get("/")
    with queries_exactly(9):
        client.get("/")
