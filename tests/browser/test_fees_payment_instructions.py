"""The bursar writes how families pay (a mistyped IBAN is explained where it was typed and nothing is saved);
a parent on a phone then reads it on the fees page, with the reference to quote next to the invoice."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from modules.fees.models import FeePolicy
from tests import factories as f

GOOD_IBAN = "GB82 WEST 1234 5698 7654 32"
MISTYPED_IBAN = "GB82 WEST 1234 5698 7654 23"


def test_the_bursar_sets_how_to_pay_and_a_parent_reads_it_on_a_phone(
    page, phone_page, login, bursar, guardian, school
):
    invoice = f.InvoiceFactory(
        year=school.year,
        student=school.child,
        total=Decimal("120.00"),
        due_date=timezone.localdate() + datetime.timedelta(days=10),
    )
    login(page, bursar)
    page.goto(reverse("fees:setup"))
    page.get_by_role("link", name="How families pay").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How families pay")

    instructions = page.get_by_label("How to pay")
    instructions.click()
    instructions.press_sequentially("Cash at the office.\nCheques to Greenfield.", delay=80)
    page.keyboard.press("Tab")  # to the phone, by keyboard
    page.keyboard.type("+44 20 7946 0000", delay=80)
    page.get_by_label("Fees office hours").click()
    page.get_by_label("Fees office hours").press_sequentially("Mon-Fri 8:00-15:30", delay=80)
    page.get_by_label("Account holder").click()
    page.get_by_label("Account holder").press_sequentially("Greenfield School", delay=80)
    page.get_by_label("IBAN or account number").click()
    page.get_by_label("IBAN or account number").press_sequentially(MISTYPED_IBAN, delay=80)
    page.get_by_role("button", name="Save the payment instructions").click()

    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    expect(page.get_by_text("This IBAN's check digits do not match")).to_be_visible()
    expect(page.get_by_label("IBAN or account number")).to_have_value(MISTYPED_IBAN)
    expect(page.get_by_label("Fees office hours")).to_have_value("Mon-Fri 8:00-15:30")
    assert FeePolicy.objects.get().bank_account_number == ""

    iban = page.get_by_label("IBAN or account number")
    iban.click()
    iban.press("Control+A")
    iban.press_sequentially(GOOD_IBAN, delay=80)
    page.get_by_role("button", name="Save the payment instructions").click()
    expect(page.get_by_text("The payment instructions were saved.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("IBAN or account number")).to_have_value(GOOD_IBAN)
    expect(page.get_by_label("How to pay")).to_have_value("Cash at the office.\nCheques to Greenfield.")
    assert FeePolicy.objects.get().office_phone == "+44 20 7946 0000"

    login(phone_page, guardian)
    phone_page.goto(reverse("fees:family"))
    box = phone_page.get_by_test_id("how-to-pay")
    expect(box.get_by_role("heading")).to_have_text("How to pay")
    expect(box).to_contain_text("Cash at the office.")
    expect(box).to_contain_text(GOOD_IBAN)
    expect(box.get_by_role("link", name="+44 20 7946 0000")).to_have_attribute("href", "tel:+442079460000")
    expect(phone_page.get_by_test_id(f"reference-{invoice.pk}")).to_have_text(
        f"Reference to quote: {invoice.number}"
    )
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the fees page is {width}px wide on a 390px phone"
