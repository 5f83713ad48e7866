"""Generating an instalment's invoices for a large school on the queue (the bursar follows a job page), and
telling families about new invoices once fees announces them (`invoices_issued`, modules/fees/events.py)."""

from __future__ import annotations

from django.dispatch import receiver
from huey.contrib.djhuey import db_task

from modules.core.jobs import job_kind_register, job_run
from modules.fees.billing import JOB_KIND, generation_fail, generation_run
from modules.fees.events import invoices_issued
from modules.fees.notices import notify_new_invoices

# New-invoice notices per queue task (each invoice is one notify() call, ~13 ms).
NOTICE_BATCH = 200


@db_task()
def issue_instalment_invoices(job_id: str) -> None:
    # Invoice lines and the job's message are written in the language of the person who asked (job_run
    # sets it); a run whose worker was killed is safe to repeat: the second run finds everyone billed.
    job_run(
        job_id=job_id,
        kind=JOB_KIND,
        run=lambda job: generation_run(job=job),
        fail=lambda job, error: generation_fail(job=job, error=error),
    )


job_kind_register(JOB_KIND, lambda job: issue_instalment_invoices(str(job.pk)))


@db_task()
def send_invoice_notices(invoice_ids: list[int]) -> None:
    notify_new_invoices(invoice_ids)


@receiver(invoices_issued, dispatch_uid="tasks.fees_billing.on_invoices_issued")
def on_invoices_issued(sender, *, invoice_ids: list[int], **kwargs) -> None:
    for start in range(0, len(invoice_ids), NOTICE_BATCH):
        send_invoice_notices(invoice_ids[start : start + NOTICE_BATCH])
