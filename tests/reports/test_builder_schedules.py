"""Scheduled reports: a recipient who may not see the data is refused when the schedule is saved; each
morning every recipient's copy is built AS THAT RECIPIENT and they are told by email (the delivery queue)."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from modules.core.models import Job, JobStatus
from modules.reports.builder_schedules import COPY_KIND, next_after
from modules.reports.models import ReportSchedule, SavedReport
from tasks.reports import send_scheduled_reports

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(school, admin) -> SavedReport:
    return SavedReport.objects.create(
        owner=admin, name="Class lists", dataset="students", definition={"columns": ["name"], "sort": "name"}
    )


def _schedule(client, report, **data):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    return client.post(
        reverse("reports:builder_schedule", args=[report.pk]),
        {"frequency": "weekly", "first_run": tomorrow.isoformat(), **data},
    )


def test_it_refuses_a_recipient_who_cannot_see_the_data(school, admin, bursar, teacher, as_user):
    marks = SavedReport.objects.create(owner=admin, name="Marks", dataset="marks", definition={})
    response = _schedule(as_user(admin), marks, recipients=[teacher.pk, bursar.pk])
    assert response.status_code == 400
    assert "Bea Money cannot see the data set “Marks”, so the report cannot be sent to them." in (
        response.content.decode()
    )
    assert not ReportSchedule.objects.exists()


def test_it_saves_a_schedule(report, admin, teacher, as_user):
    response = _schedule(as_user(admin), report, recipients=[teacher.pk])
    assert response.status_code == 302
    schedule = ReportSchedule.objects.get()
    assert list(schedule.recipients.all()) == [teacher]
    assert schedule.next_run == timezone.localdate() + datetime.timedelta(days=1)
    page = as_user(admin).get(reverse("reports:builder_run", args=[report.pk])).content.decode()
    assert "Tom Teach" in page


def test_it_sends_each_recipient_their_own_scope(
    report, admin, teacher, as_user, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    schedule = ReportSchedule.objects.create(report=report, frequency="weekly", next_run=today)
    schedule.recipients.set([admin, teacher])
    with django_capture_on_commit_callbacks(execute=True):
        send_scheduled_reports.call_local()
    copies = {job.owner: job for job in Job.objects.filter(kind=COPY_KIND)}
    assert set(copies) == {admin, teacher}
    assert all(job.status == JobStatus.SUCCEEDED for job in copies.values())

    def names(user) -> list:
        sheet = load_workbook(copies[user].result_file.open("rb")).active
        return [row[0] for row in sheet.iter_rows(values_only=True)]

    assert names(admin) == ["Name", "Olive Elsewhere", "Sam Parent"]
    assert names(teacher) == ["Name", "Sam Parent"]
    subjects = sorted((message.to[0], message.subject) for message in mail.outbox)
    assert subjects == [
        ("admin@school.test", "Your report “Class lists” is ready"),
        ("teacher@school.test", "Your report “Class lists” is ready"),
    ]
    schedule.refresh_from_db()
    assert (schedule.last_run, schedule.next_run) == (today, today + datetime.timedelta(days=7))
    download = as_user(teacher).get(reverse("job_download", args=[copies[teacher].pk]))
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert sheet["A2"].value == "Sam Parent"


def test_it_sends_nothing_twice_the_same_day(report, admin, django_capture_on_commit_callbacks):
    schedule = ReportSchedule.objects.create(report=report, frequency="daily", next_run=timezone.localdate())
    schedule.recipients.set([admin])
    with django_capture_on_commit_callbacks(execute=True):
        send_scheduled_reports.call_local()
        send_scheduled_reports.call_local()
    assert Job.objects.filter(kind=COPY_KIND).count() == 1


def test_it_skips_a_recipient_who_lost_the_right_since(
    school, admin, teacher, bursar, django_capture_on_commit_callbacks
):
    marks = SavedReport.objects.create(owner=admin, name="Marks", dataset="marks", definition={})
    schedule = ReportSchedule.objects.create(report=marks, frequency="daily", next_run=timezone.localdate())
    schedule.recipients.set([teacher, bursar])
    with django_capture_on_commit_callbacks(execute=True):
        send_scheduled_reports.call_local()
    assert [job.owner for job in Job.objects.filter(kind=COPY_KIND)] == [teacher]


def test_it_moves_a_monthly_schedule_to_the_same_day_or_the_months_last():
    assert next_after(datetime.date(2026, 1, 31), "monthly") == datetime.date(2026, 2, 28)
    assert next_after(datetime.date(2026, 12, 15), "monthly") == datetime.date(2027, 1, 15)
