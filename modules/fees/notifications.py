"""The kinds of notification fees sends (registered by FeesConfig.ready; see
modules/communications/kinds.py). Their texts are in templates/fees/notifications/."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from modules.accounts.models import Role
from modules.communications.kinds import NotificationKind

FEE_REMINDER = NotificationKind(
    key="fee_reminder",
    label=_("Fee reminder"),
    roles=frozenset({Role.GUARDIAN, Role.STUDENT}),
    template="fees/notifications/fee_reminder.txt",
    icon="cash-coin",
)
PAYMENT_RECEIPT = NotificationKind(
    key="payment_receipt",
    label=_("Payment receipt"),
    roles=frozenset({Role.GUARDIAN}),
    template="fees/notifications/payment_receipt.txt",
)
NEW_INVOICE = NotificationKind(
    key="new_invoice",
    label=_("New invoice"),
    roles=frozenset({Role.GUARDIAN}),
    template="fees/notifications/new_invoice.txt",
)
KINDS = (FEE_REMINDER, PAYMENT_RECEIPT, NEW_INVOICE)
