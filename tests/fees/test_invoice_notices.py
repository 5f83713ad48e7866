"""Families hear about new invoices: in-app and by email, in their language, once, after the invoices are
committed; a waived (zero) invoice and one already settled by credit are not announced."""

from __future__ import annotations

from decimal import Decimal

import pytest

from modules.communications.models import Notification
from modules.fees import billing, ledger
from modules.fees.models import Invoice
from modules.fees.notices import notify_new_invoices
from tests import factories as f

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def instalment(school):
    structure = f.FeeStructureFactory(year=school.year, grade_level=school.section.grade_level)
    instalment = f.InstalmentFactory(structure=structure, number=1, label="Term 1")
    f.InstalmentChargeFactory(instalment=instalment, amount=D("500.00"))
    return instalment


def test_the_guardians_get_an_email_and_a_notification_once_the_invoices_are_committed(
    school, bursar, guardian, other_guardian, instalment, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        billing.generate_invoices(year=school.year, number=1, by=bursar)
    invoice = Invoice.objects.get(student=school.child)
    to_sam = [m for m in mailoutbox if m.to == ["parent@school.test"]]
    assert len(to_sam) == 1
    assert to_sam[0].subject == f"New invoice {invoice.number} for Sam"
    assert "USD 500.00" in to_sam[0].body
    assert "Term 1" in to_sam[0].body
    assert Notification.objects.filter(recipient=guardian, kind="new_invoice").count() == 1
    assert Notification.objects.filter(recipient=other_guardian, kind="new_invoice").count() == 1
    # The task running again (a retry) tells nobody twice.
    with django_capture_on_commit_callbacks(execute=True):
        notify_new_invoices([invoice.pk])
    assert len([m for m in mailoutbox if m.to == ["parent@school.test"]]) == 1


def test_a_rolled_back_generation_tells_nobody(school, bursar, instalment, mailoutbox):
    # Without the commit (the test's transaction is never committed) no notice is queued.
    billing.generate_invoices(year=school.year, number=1, by=bursar)
    assert mailoutbox == []
    assert not Notification.objects.exists()


def test_invoices_settled_by_credit_or_waived_are_not_announced(
    school, bursar, guardian, instalment, django_capture_on_commit_callbacks
):
    ledger.record_payment(student_id=school.child.pk, amount=D("600"), method="cash", key="k", by=bursar)
    with django_capture_on_commit_callbacks(execute=True):
        billing.generate_invoices(year=school.year, number=1, by=bursar)
    assert Invoice.objects.get(student=school.child).status == "paid"
    assert not Notification.objects.filter(recipient=guardian, kind="new_invoice").exists()
    assert Notification.objects.filter(kind="new_invoice").count() == 1  # Olive's family


def test_the_demo_seed_can_generate_quietly(school, bursar, instalment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        billing.generate_invoices(year=school.year, number=1, by=bursar, notify=False)
    assert callbacks == []
    assert not Notification.objects.exists()
