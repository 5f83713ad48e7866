"""How a family pays other than online: what the office set on the fee setup (FeePolicy: the instructions,
the fees office's phone and hours, the bank account, the reference to quote), with the school's own phone
and email standing in for what was left empty. One reader for every place that shows it: the family fees
page, the invoice page and PDF, the statement page and PDF."""

from __future__ import annotations

from dataclasses import dataclass

from modules.core.models import SchoolProfile
from modules.fees.models import FeePolicy, Invoice, PaymentReference


@dataclass(frozen=True)
class HowToPay:
    text: str
    phone: str
    email: str
    hours: str
    account_name: str
    account_number: str
    bank_code: str
    reference: str  # a PaymentReference value

    @property
    def has_bank(self) -> bool:
        return bool(self.account_number)

    @property
    def is_empty(self) -> bool:
        """Nothing to tell a family but "contact the school office"."""
        return not (self.text or self.phone or self.email or self.hours or self.has_bank)

    @property
    def by_admission_number(self) -> bool:
        return self.reference == PaymentReference.ADMISSION

    def reference_for(self, invoice: Invoice, student=None) -> str:
        """What to write on a transfer paying `invoice` (`student`: the invoice's, when already loaded)."""
        if self.by_admission_number:
            return (student or invoice.student).admission_number
        return invoice.number


def how_to_pay() -> HowToPay:
    policy = FeePolicy.load()
    school = SchoolProfile.load()
    return HowToPay(
        text=policy.payment_instructions.strip(),
        phone=policy.office_phone or school.phone,
        email=school.email,
        hours=policy.office_hours,
        account_name=policy.bank_account_name,
        account_number=policy.bank_account_number,
        bank_code=policy.bank_code,
        reference=policy.payment_reference,
    )
