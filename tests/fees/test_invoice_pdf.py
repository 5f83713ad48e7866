"""Invoice and credit-note PDFs: what they say, and who may download them."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from modules.fees import billing, ledger
from tests import factories as f

D = Decimal
pytestmark = pytest.mark.django_db


def _text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


@pytest.fixture
def invoice(school, bursar):
    structure = f.FeeStructureFactory(year=school.year, grade_level=school.section.grade_level)
    instalment = f.InstalmentFactory(structure=structure, number=1, label="Term 1")
    f.InstalmentChargeFactory(instalment=instalment, item=f.FeeItemFactory(name="Tuition"), amount=D("500"))
    f.InstalmentChargeFactory(instalment=instalment, item=f.FeeItemFactory(name="Lab"), amount=D("40"))
    billing.generate_invoices(year=school.year, number=1, by=bursar)
    invoice = school.child.invoices.get()
    ledger.record_payment(student_id=school.child.pk, amount=D("100"), method="cash", key="k", by=bursar)
    invoice.refresh_from_db()
    return invoice


def test_the_guardian_downloads_their_childs_invoice(as_user, guardian, invoice):
    response = as_user(guardian).get(reverse("fees:invoice_pdf", kwargs={"pk": invoice.pk}))
    assert response.status_code == 200
    assert f'filename="{invoice.number}.pdf"' in response["Content-Disposition"]
    text = _text(response)
    expected_texts = (
        invoice.number,
        "Sam Parent",
        "A-0001",
        "7A",
        "Tuition — Term 1",
        "Lab — Term 1",
        "Pat Parent",
    )
    for expected in expected_texts:
        assert expected in text
    assert "540.00" in text
    assert "100.00" in text
    assert "440.00" in text
    assert "OPEN" in text.upper()


def test_the_bursar_downloads_any_invoice_and_a_credit_note(as_user, bursar, invoice):
    note = ledger.issue_credit_note(invoice_id=invoice.pk, amount=D("40"), reason="Lab closed", by=bursar)
    text = _text(as_user(bursar).get(reverse("fees:invoice_pdf", kwargs={"pk": invoice.pk})))
    assert note.number in text
    assert "Lab closed" in text
    text = _text(as_user(bursar).get(reverse("fees:credit_note_pdf", kwargs={"pk": note.pk})))
    assert note.number in text
    assert invoice.number in text
    assert "40.00" in text


@pytest.mark.parametrize("persona", ["other_guardian", "teacher", "student"])
def test_anyone_else_gets_not_found(as_user, invoice, persona, request):
    user = request.getfixturevalue(persona)
    assert as_user(user).get(reverse("fees:invoice_pdf", kwargs={"pk": invoice.pk})).status_code == 404


def test_it_refuses_a_post(as_user, bursar, invoice):
    assert as_user(bursar).post(reverse("fees:invoice_pdf", kwargs={"pk": invoice.pk})).status_code == 405
