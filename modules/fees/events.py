"""What fees announces about billing (see modules/core/events.py for how events work, and docs/events.md
for the list of every module's events)."""

from __future__ import annotations

from modules.core.events import DomainEvent

invoices_issued = DomainEvent(
    "fees.invoices_issued",
    arguments={
        "invoice_ids": "list of Invoice ids: the new invoices with something to pay, whose families are owed "
        "a notice (`notice_due_at` set); one event for a whole generation run or a late enrolment's bills",
        "by": "the User who billed them (None when nobody did: a run with no one signed in)",
    },
    doc="""New invoices were issued to families: an instalment generated (`billing.generate_invoices`, in
    the request or on the queue) or a late enrolment billed (`billing.bill_enrolments`). Fully waived
    invoices are settled from the start and are not listed; a run that bills without telling families
    (`notify=False`: the demo seed) sends nothing. Receivers: tasks/fees_billing.py queues the new-invoice
    notices (`notices.notify_new_invoices`, in batches).""",
)

payment_recorded = DomainEvent(
    "fees.payment_recorded",
    arguments={
        "payment_id": "id of the Payment that was recorded (with its allocations to invoices)",
        "by": "the User who recorded it (None for a card payment confirmed by Stripe's webhook)",
    },
    doc="""Money was received for a student and recorded (`ledger.record_payment`: the office's payment
    form, or a Stripe checkout confirmed by its webhook, one payment per student of the checkout). Sent once
    per payment: the same form or Stripe event again returns the payment already recorded and sends
    nothing. The demo seed writes its payment history in bulk and sends nothing. Receivers: webhooks
    queues a `payment.recorded` delivery to the endpoints that subscribed (modules/webhooks/receivers.py).""",
)
