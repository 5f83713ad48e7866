"""The bursar records a payment at the office: allocation, credit, references, dates, one payment for a
form submitted twice, the receipt page and PDF, refunds, the student's account and the student search."""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from pypdf import PdfReader

from modules.fees import ledger
from modules.fees.models import Invoice, InvoiceStatus, Payment, Refund
from tests import factories as f

pytestmark = pytest.mark.django_db
D = Decimal
NEW = reverse("fees:payment_create")


def _invoice(school, total, days, student=None):
    return f.InvoiceFactory(
        year=school.year,
        student=student or school.child,
        total=D(total),
        due_date=timezone.localdate() + datetime.timedelta(days=days),
    )


def _form(client, student):
    """The form as the bursar gets it, with its one-time token."""
    page = client.get(NEW, {"student": student.pk}).content.decode()
    token = re.search(r'name="token" value="([0-9a-f-]+)"', page).group(1)
    return page, token


def _post(client, student, token, **fields):
    data = {
        "student": student.pk,
        "amount": "100.00",
        "method": "cash",
        "reference": "",
        "received_on": timezone.localdate().isoformat(),
        "invoice": "",
        "payer_name": "Pat Parent",
        "token": token,
        **fields,
    }
    return client.post(f"{NEW}?student={student.pk}", data)


def test_it_pays_the_oldest_invoice_and_keeps_the_rest_as_credit(school, bursar, as_user):
    older, later = _invoice(school, "200.00", 5), _invoice(school, "300.00", 40)
    client = as_user(bursar)
    _page, token = _form(client, school.child)
    response = _post(client, school.child, token, amount="550.00")
    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("fees:payment_detail", kwargs={"pk": payment.pk})
    older.refresh_from_db()
    later.refresh_from_db()
    assert (older.status, later.status) == (InvoiceStatus.PAID, InvoiceStatus.PAID)
    page = client.get(response["Location"]).content.decode()
    assert f"Payment recorded: receipt {payment.receipt_number}." in page
    assert older.number in page
    assert later.number in page
    assert "USD 50.00" in page  # credit left
    assert payment.recorded_by == bursar
    assert payment.payer_name == "Pat Parent"


def test_it_pays_the_chosen_invoice_first(school, bursar, as_user):
    older, chosen = _invoice(school, "200.00", 5), _invoice(school, "300.00", 40)
    client = as_user(bursar)
    page, token = _form(client, school.child)
    assert chosen.number in page  # offered in the invoice choice
    _post(client, school.child, token, amount="350.00", invoice=chosen.pk)
    older.refresh_from_db()
    chosen.refresh_from_db()
    assert chosen.status == InvoiceStatus.PAID
    assert older.balance == D("150.00")


def test_the_same_form_submitted_twice_records_one_payment(school, bursar, as_user):
    _invoice(school, "200.00", 5)
    client = as_user(bursar)
    _page, token = _form(client, school.child)
    first = _post(client, school.child, token)
    second = _post(client, school.child, token)
    assert Payment.objects.count() == 1
    assert first["Location"] == second["Location"]
    assert "This payment was already recorded" in client.get(second["Location"]).content.decode()
    assert Invoice.objects.get().amount_paid == D("100.00")


def test_a_new_form_is_a_new_payment(school, bursar, as_user):
    client = as_user(bursar)
    for _ in range(2):
        _page, token = _form(client, school.child)
        _post(client, school.child, token)
    assert Payment.objects.count() == 2


def test_bank_transfers_and_cheques_need_a_reference(school, bursar, as_user):
    client = as_user(bursar)
    _page, token = _form(client, school.child)
    response = _post(client, school.child, token, method="cheque", amount="42.00")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Give the bank transfer reference or the cheque number" in page
    assert 'value="42.00"' in page  # what was typed is kept
    assert not Payment.objects.exists()
    _post(client, school.child, token, method="cheque", amount="42.00", reference="CHQ 000123")
    assert Payment.objects.get().reference == "CHQ 000123"


def test_a_payment_cannot_be_dated_in_the_future(school, bursar, as_user):
    client = as_user(bursar)
    _page, token = _form(client, school.child)
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    page = _post(client, school.child, token, received_on=tomorrow).content.decode()
    assert "A payment cannot be dated in the future." in page
    assert not Payment.objects.exists()


@pytest.mark.parametrize("amount", ["abc", "0", "-5", "12.345", ""])
def test_a_bad_amount_is_explained_and_nothing_is_written(school, bursar, as_user, amount):
    _invoice(school, "200.00", 5)
    client = as_user(bursar)
    _page, token = _form(client, school.child)
    response = _post(client, school.child, token, amount=amount)
    assert response.status_code == 200
    assert 'class="invalid-feedback' in response.content.decode()
    assert not Payment.objects.exists()
    assert Invoice.objects.get().amount_paid == D("0")


def test_card_is_not_an_office_method(school, bursar, as_user):
    client = as_user(bursar)
    _page, token = _form(client, school.child)
    assert _post(client, school.child, token, method="card").status_code == 200
    assert not Payment.objects.exists()


def test_another_students_invoice_cannot_be_chosen(school, bursar, as_user):
    olives = _invoice(school, "200.00", 5, student=school.other_child)
    client = as_user(bursar)
    _page, token = _form(client, school.child)
    assert _post(client, school.child, token, invoice=olives.pk).status_code == 200
    assert not Payment.objects.exists()


def test_the_receipt_is_emailed_to_the_guardians_when_asked(
    school, bursar, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    client = as_user(bursar)
    _page, token = _form(client, school.child)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, school.child, token, email_receipt="on")
    (message,) = mailoutbox
    assert message.to == ["parent@school.test"]
    assert message.subject == "Payment received for Sam"
    assert "USD 100.00" in message.body
    assert Payment.objects.get().receipt_number in message.body
    _page, token = _form(client, school.child)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, school.child, token)  # box not ticked
    assert len(mailoutbox) == 1


def test_the_receipt_pdf_shows_the_payment(school, bursar, as_user):
    invoice = _invoice(school, "80.00", 5)
    result = ledger.record_payment(
        student_id=school.child.pk,
        amount=D("100.00"),
        method="bank",
        reference="TRF-778",
        key="pdf",
        by=bursar,
        payer_name="Pat Parent",
    )
    response = as_user(bursar).get(reverse("fees:receipt_pdf", kwargs={"pk": result.payment.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="receipt-{result.payment.receipt_number}.pdf"' in response["Content-Disposition"]
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    for expected in [
        "Payment receipt",
        result.payment.receipt_number,
        "Sam Parent",
        "A-0001",
        "USD 100.00",
        "Bank transfer",
        "TRF-778",
        invoice.number,
        "USD 80.00",
        "USD 20.00",  # credit left
    ]:
        assert expected in text, expected


def test_guardians_download_their_childrens_receipts_only(school, guardian, other_guardian, as_user):
    result = ledger.record_payment(student_id=school.child.pk, amount=D("10"), method="cash", key="g")
    url = reverse("fees:receipt_pdf", kwargs={"pk": result.payment.pk})
    assert as_user(guardian).get(url).status_code == 200
    assert as_user(other_guardian).get(url).status_code == 404


def test_a_refund_of_credit_is_recorded(school, bursar, as_user):
    _invoice(school, "80.00", 5)
    payment = ledger.record_payment(
        student_id=school.child.pk, amount=D("100.00"), method="cash", key="r", by=bursar
    ).payment
    client = as_user(bursar)
    url = reverse("fees:refund_create", kwargs={"pk": payment.pk})
    assert 'value="20.00"' in client.get(url).content.decode()  # the credit, proposed
    response = client.post(
        url, {"amount": "15.00", "method": "cash", "reference": "", "reason": "Left school"}
    )
    assert response["Location"] == reverse("fees:payment_detail", kwargs={"pk": payment.pk})
    refund = Refund.objects.get()
    assert (refund.amount, refund.reason, refund.recorded_by) == (D("15.00"), "Left school", bursar)
    payment.refresh_from_db()
    assert payment.unallocated == D("5.00")
    assert refund.number in client.get(response["Location"]).content.decode()


def test_a_refund_above_the_credit_is_refused(school, bursar, as_user):
    payment = ledger.record_payment(
        student_id=school.child.pk, amount=D("30.00"), method="cash", key="r2", by=bursar
    ).payment
    url = reverse("fees:refund_create", kwargs={"pk": payment.pk})
    page = as_user(bursar).post(url, {"amount": "31.00", "method": "cash", "reason": "Oops"}).content.decode()
    assert "At most USD 30.00 of this payment is unused credit" in page
    assert 'value="31.00"' in page
    page = as_user(bursar).post(url, {"amount": "5.00", "method": "cash", "reason": ""}).content.decode()
    assert "This field is required." in page
    assert not Refund.objects.exists()


def test_the_students_account_shows_balance_invoices_payments_and_refunds(school, bursar, as_user):
    open_invoice, paid_invoice = _invoice(school, "300.00", 40), _invoice(school, "100.00", 5)
    payment = ledger.record_payment(
        student_id=school.child.pk,
        amount=D("150.00"),
        method="cash",
        key="a",
        by=bursar,
        invoice_ids=[paid_invoice.pk],
    ).payment
    page = (
        as_user(bursar).get(reverse("fees:student_account", kwargs={"pk": school.child.pk})).content.decode()
    )
    assert "Fee account of Sam Parent" in page
    assert "USD 250.00" in page  # due: 300 - 50 allocated to the open invoice
    assert open_invoice.number in page
    assert paid_invoice.number in page
    assert payment.receipt_number in page
    assert reverse("fees:receipt_pdf", kwargs={"pk": payment.pk}) in page


def test_the_search_finds_students_by_name_or_admission_number(school, bursar, as_user):
    client = as_user(bursar)
    page = client.get(NEW, {"q": "olive"}).content.decode()
    assert "Olive Elsewhere" in page
    assert "Sam Parent" not in page
    assert f"?student={school.other_child.pk}" in page
    fragment = client.get(NEW, {"q": "A-0001"}, headers={"HX-Request": "true"})
    assert "Sam Parent" in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    assert "HX-Request" in fragment["Vary"]
    assert "No student found" in client.get(NEW, {"q": "zzz"}).content.decode()


def test_the_search_page_query_count_does_not_grow_with_results(
    school, bursar, as_user, django_assert_max_num_queries
):
    client = as_user(bursar)
    for n in range(15):
        f.StudentFactory(first_name=f"Kid{n}", last_name="Many", admission_number=f"M-{n:03d}")
    with django_assert_max_num_queries(10):
        page = client.get(NEW, {"q": "many"}).content.decode()
    assert page.count("Many</a>") == 15


def test_an_unknown_student_is_a_404(school, bursar, as_user):
    assert as_user(bursar).get(NEW, {"student": 999999}).status_code == 404
    assert as_user(bursar).get(NEW, {"student": "x"}).status_code == 404


def test_teachers_and_guardians_cannot_record_payments(school, teacher, guardian, as_user):
    assert as_user(teacher).get(NEW).status_code == 403
    assert as_user(guardian).get(NEW, {"student": school.child.pk}).status_code == 403


def test_the_account_page_query_count_does_not_grow_with_payments(
    school, bursar, as_user, django_assert_max_num_queries
):
    client = as_user(bursar)
    url = reverse("fees:student_account", kwargs={"pk": school.child.pk})

    def pay(n):
        _invoice(school, "50.00", n)
        payment = ledger.record_payment(
            student_id=school.child.pk, amount=D("60.00"), method="cash", key=f"p{n}", by=bursar
        ).payment
        ledger.record_refund(payment_id=payment.pk, amount=D("5.00"), method="cash", reason="r", by=bursar)

    pay(1)
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for n in range(2, 12):
        pay(n)
    with django_assert_max_num_queries(12) as many:
        page = client.get(url).content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)
    assert page.count("RCT-") >= 11


@pytest.mark.parametrize(
    ("method", "name", "kwargs"),
    [
        ("put", "fees:payment_create", False),
        ("post", "fees:student_account", True),
        ("post", "fees:payment_detail", True),
        ("post", "fees:receipt_pdf", True),
        ("delete", "fees:refund_create", True),
    ],
)
def test_wrong_methods_are_refused(school, bursar, as_user, method, name, kwargs):
    payment = ledger.record_payment(student_id=school.child.pk, amount=D("5"), method="cash", key="m").payment
    pk = school.child.pk if name == "fees:student_account" else payment.pk
    url = reverse(name, kwargs={"pk": pk}) if kwargs else reverse(name)
    assert getattr(as_user(bursar), method)(url).status_code == 405


def test_the_receipt_email_is_in_the_guardians_language(
    school, bursar, as_user, guardian, mailoutbox, django_capture_on_commit_callbacks
):
    guardian.language = "fr"
    guardian.save(update_fields=["language"])
    client = as_user(bursar)
    _page, token = _form(client, school.child)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, school.child, token, amount="1250.00", email_receipt="on")
    (message,) = mailoutbox
    # Amount and date in French format whatever the bursar's language.
    assert "USD 1\xa0250,00" in message.body
    with translation.override("fr"):
        assert date_format(timezone.localdate(), "DATE_FORMAT") in message.body
