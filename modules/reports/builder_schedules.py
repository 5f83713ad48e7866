"""Saved reports sent on a schedule (daily, weekly, monthly) to chosen staff.

Each morning (tasks/reports.py `send_scheduled_reports`, at the school's clock) every schedule due runs its
report once per recipient, AS THAT RECIPIENT: each recipient's file is a core Job of theirs (COPY_KIND),
built on the queue in their scope and language (`builder_exports.report_export_run`), and when it is ready
they are told through communications (`notify`: in the portal and by email, the email sent by the delivery
queue with its retries) with the link to download it. A recipient who could not see the report's data set
is refused when the schedule is saved; one who lost that right since is skipped (their copy would be empty
or wrong), and the rest still receive theirs.
"""

from __future__ import annotations

import calendar
import datetime

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from modules.accounts.models import STAFF_ROLES
from modules.communications.kinds import NotificationKind, kind_register
from modules.communications.services import notify, recipients_for_users, users_with_profiles
from modules.core.audit import audit_log
from modules.core.jobs import job_enqueue
from modules.core.models import Job
from modules.reports.builder_exports import report_export_run
from modules.reports.datasets import dataset_get
from modules.reports.models import ReportSchedule, SavedReport, ScheduleFrequency

SCHEDULED_FORMAT = "xlsx"
# A recipient's copy: the export's run, then the notice (tasks/reports.py `send_scheduled_report_copy`).
COPY_KIND = "report_scheduled_copy"

REPORT_READY = kind_register(
    NotificationKind(
        key="report_scheduled",
        label=gettext_lazy("Scheduled reports"),
        roles=frozenset(STAFF_ROLES),
        template="reports/builder/notifications/scheduled.txt",
        icon="file-earmark-spreadsheet",
    )
)


class ScheduleRefused(ValueError):
    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def recipients_refused(report: SavedReport, recipients) -> list[str]:
    """Why each recipient who may not see the report's data set cannot receive it (empty: all may)."""
    dataset = dataset_get(report.dataset)
    messages = []
    for user in recipients:
        if dataset is None or not dataset.may_use(user):
            messages.append(
                _("%(name)s cannot see the data set “%(dataset)s”, so the report cannot be sent to them.")
                % {
                    "name": user.get_full_name() or user.email,
                    "dataset": dataset.label if dataset else report.dataset,
                }
            )
    return messages


def next_after(day: datetime.date, frequency: str) -> datetime.date:
    if frequency == ScheduleFrequency.DAILY:
        return day + datetime.timedelta(days=1)
    if frequency == ScheduleFrequency.WEEKLY:
        return day + datetime.timedelta(days=7)
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@transaction.atomic
def report_schedule_create(
    *, report: SavedReport, actor, frequency: str, recipients: list, first_run: datetime.date
) -> ReportSchedule:
    """Schedule the report; ScheduleRefused (nothing saved) when a recipient may not see its data."""
    refused = recipients_refused(report, recipients)
    if refused:
        raise ScheduleRefused(refused)
    schedule = ReportSchedule.objects.create(report=report, frequency=frequency, next_run=first_run)
    schedule.recipients.set(recipients)
    audit_log(
        actor=actor,
        action="report.schedule",
        obj=report,
        after={"frequency": frequency, "recipients": sorted(user.pk for user in recipients)},
    )
    return schedule


@transaction.atomic
def report_schedule_delete(*, schedule: ReportSchedule, actor) -> None:
    audit_log(actor=actor, action="report.unschedule", obj=schedule.report, before={"schedule": schedule.pk})
    schedule.delete()


@transaction.atomic
def report_schedules_send(*, today: datetime.date) -> int:
    """Queue this morning's copies of every schedule due (one Job per recipient, built in their scope);
    the schedule moves to its next day in the same transaction, so a second run the same day sends nothing
    again. Returns the number of copies queued."""
    queued = 0
    due = ReportSchedule.objects.select_for_update().filter(next_run__lte=today).select_related("report")
    for schedule in due:
        recipients = list(
            users_with_profiles().filter(pk__in=schedule.recipients.values("pk"), is_active=True)
        )
        allowed = [user for user in recipients if not recipients_refused(schedule.report, [user])]
        for user in allowed:
            job = Job.objects.create(
                kind=COPY_KIND,
                owner=user,
                payload={"report": schedule.report_id, "format": SCHEDULED_FORMAT, "schedule": schedule.pk},
                result={"title": _("Export of “%(name)s”") % {"name": schedule.report.name}},
            )
            job_enqueue(job=job)
            queued += 1
        schedule.last_run = today
        next_run = schedule.next_run
        while next_run <= today:
            next_run = next_after(next_run, schedule.frequency)
        schedule.next_run = next_run
        schedule.save(update_fields=["last_run", "next_run"])
    return queued


def scheduled_copy_run(*, job: Job) -> None:
    """Build the recipient's copy in their scope, then tell them it is ready (in the portal and by email,
    with the link to download it). A copy that could not be built (the report was deleted) tells nobody."""
    report_export_run(job=job, scheduled=True)
    job.refresh_from_db()
    report = SavedReport.objects.filter(pk=job.payload["report"]).first()
    if report is None or not job.result_file:
        return
    recipients = recipients_for_users(users_with_profiles().filter(pk=job.owner_id))
    notify(
        recipients,
        REPORT_READY,
        {"report": report, "rows": job.total},
        obj=job,
        url=reverse("job_progress", args=[job.pk]),
    )
