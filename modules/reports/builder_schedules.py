"""Saved reports sent on a schedule (daily, weekly, monthly) to chosen staff.

Each morning (tasks/reports.py `send_scheduled_reports`, at the school's clock) every schedule due queues a
copy per recipient, built AS THAT RECIPIENT: each copy is a core Job of theirs (COPY_KIND), run on the queue
in their scope and language, whose file is sent to them as an attachment of a message from the report's
owner (communications.messaging `thread_start`): the recipient finds it in their messages, and the email
telling them (the delivery queue, with its retries) carries the file too — sent on its own, never merged
into a daily digest. A recipient who could not see the
report's data set, or whom its owner cannot write to (themself included), is refused when the schedule is
saved; one who lost that right since is skipped, and the others still receive theirs.
"""

from __future__ import annotations

import calendar
import datetime

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from modules.communications.messaging import can_message, thread_start
from modules.communications.services import users_with_profiles
from modules.core.audit import audit_log
from modules.core.jobs import job_enqueue, job_finish, job_heartbeat
from modules.core.models import Job, JobStatus
from modules.reports.builder import definition_read, report_count
from modules.reports.builder_exports import export_build, export_log
from modules.reports.datasets import dataset_get
from modules.reports.models import ReportSchedule, SavedReport, ScheduleFrequency

SCHEDULED_FORMAT = "xlsx"
# A recipient's copy (tasks/reports.py `send_scheduled_report_copy`).
COPY_KIND = "report_scheduled_copy"


class ScheduleRefused(ValueError):
    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def recipients_refused(report: SavedReport, recipients) -> list[str]:
    """Why each recipient who may not see the report's data set cannot receive it (empty: all may)."""
    dataset = dataset_get(report.dataset)
    messages = []
    for user in recipients:
        if user.pk == report.owner_id:
            messages.append(
                _("Your own copy is the report itself: open it. Choose colleagues to send it to.")
            )
        elif not can_message(report.owner, user):
            messages.append(
                _("%(name)s cannot receive messages from the report's owner, so it cannot be sent to them.")
                % {"name": user.get_full_name() or user.email}
            )
        elif dataset is None or not dataset.may_use(user):
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
                payload={
                    "report": schedule.report_id,
                    "schedule": schedule.pk,
                    "frequency": schedule.frequency,
                },
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
    """Build the recipient's copy in their scope and send it to them, attached to a message from the
    report's owner. A copy that cannot be made or sent fails its job with the reason."""
    report = SavedReport.objects.filter(pk=job.payload["report"]).select_related("owner").first()
    dataset = dataset_get(report.dataset) if report is not None else None
    if report is None or dataset is None or recipients_refused(report, [job.owner]):
        job_finish(job=job, status=JobStatus.FAILED, message=_("This report can no longer be sent to you."))
        return
    definition, _missing = definition_read(dataset, report.definition)
    total = report_count(definition, job.owner)
    job_heartbeat(job=job, total=total, done=0)
    built = export_build(
        report=report, definition=definition, user=job.owner, fmt=SCHEDULED_FORMAT, job=job, total=total
    )
    frequency = ScheduleFrequency(job.payload.get("frequency", ScheduleFrequency.DAILY)).label
    try:
        thread_start(
            sender=report.owner,
            recipient=job.owner,
            subject=_("%(name)s (%(frequency)s report)") % {"name": report.name, "frequency": frequency},
            body=ngettext(
                "The attached file is this copy of the report “%(name)s”: %(rows)s row, with what you may "
                "see in the portal.",
                "The attached file is this copy of the report “%(name)s”: %(rows)s rows, with what you may "
                "see in the portal.",
                total,
            )
            % {"name": report.name, "rows": total},
            files=[SimpleUploadedFile(built.filename, built.content, content_type=built.content_type)],
            email_files=True,
        )
    except ValidationError as error:
        job_finish(job=job, status=JobStatus.FAILED, message=" ".join(error.messages))
        return
    export_log(report=report, actor=job.owner, fmt=SCHEDULED_FORMAT, rows=total)
    job_finish(
        job=job,
        status=JobStatus.SUCCEEDED,
        message=ngettext("%(count)s row, sent in a message.", "%(count)s rows, sent in a message.", total)
        % {"count": total},
        done=total,
        total=total,
    )
