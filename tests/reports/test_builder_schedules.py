"""Scheduled reports: a recipient who may not see the data is refused when the schedule is saved; each
morning every recipient's copy is built AS THAT RECIPIENT and sent to them attached to a message from the
report's owner, of which they are told by email (the delivery queue)."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from modules.communications.delivery import delivery_send
from modules.communications.models import Attachment, Delivery, DeliveryStatus, NotificationPreference
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


def _attached_names(user) -> list:
    attachment = Attachment.objects.get(message__thread__participants__user=user)
    sheet = load_workbook(attachment.file.open("rb")).active
    return [row[0] for row in sheet.iter_rows(values_only=True)]


def test_it_sends_each_recipient_their_own_scope(
    report, teacher, other_teacher, as_user, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    schedule = ReportSchedule.objects.create(report=report, frequency="weekly", next_run=today)
    schedule.recipients.set([teacher, other_teacher])
    with django_capture_on_commit_callbacks(execute=True):
        send_scheduled_reports.call_local()
    copies = {job.owner: job for job in Job.objects.filter(kind=COPY_KIND)}
    assert set(copies) == {teacher, other_teacher}
    assert all(job.status == JobStatus.SUCCEEDED for job in copies.values())
    assert _attached_names(teacher) == ["Name", "Sam Parent"]
    assert _attached_names(other_teacher) == ["Name", "Olive Elsewhere"]
    assert sorted(message.to[0] for message in mail.outbox) == [
        "other.teacher@school.test",
        "teacher@school.test",
    ]
    assert all("Class lists (Weekly report)" in message.body for message in mail.outbox)
    # The email carries each recipient's own copy, which opens as a workbook.
    for message in mail.outbox:
        [(filename, content, content_type)] = message.attachments
        assert filename.endswith(".xlsx")
        assert content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        names = [row[0] for row in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)]
        assert names == (
            ["Name", "Sam Parent"] if message.to == ["teacher@school.test"] else ["Name", "Olive Elsewhere"]
        )
    schedule.refresh_from_db()
    assert (schedule.last_run, schedule.next_run) == (today, today + datetime.timedelta(days=7))
    inbox = as_user(teacher).get(reverse("communications:message_inbox")).content.decode()
    assert "Class lists (Weekly report)" in inbox


def test_a_recipient_who_takes_the_daily_digest_still_gets_the_file_at_once(
    report, teacher, django_capture_on_commit_callbacks
):
    # A file cannot be merged into a digest: the email with the copy goes on its own, the same morning.
    NotificationPreference.objects.create(user=teacher, kind="new_message", email=True, email_digest=True)
    schedule = ReportSchedule.objects.create(report=report, frequency="daily", next_run=timezone.localdate())
    schedule.recipients.set([teacher])
    with django_capture_on_commit_callbacks(execute=True):
        send_scheduled_reports.call_local()
    [message] = mail.outbox
    assert message.to == ["teacher@school.test"]
    assert [name for name, _content, _type in message.attachments] == [Attachment.objects.get().filename]
    assert not Delivery.objects.filter(status=DeliveryStatus.DIGEST).exists()


def test_a_file_gone_before_the_email_went_fails_the_send_saying_which(
    report, teacher, django_capture_on_commit_callbacks
):
    schedule = ReportSchedule.objects.create(report=report, frequency="daily", next_run=timezone.localdate())
    schedule.recipients.set([teacher])
    with django_capture_on_commit_callbacks(execute=True):
        send_scheduled_reports.call_local()
    # The same email again (as a retry would send it) after its file was lost from the storage.
    delivery = Delivery.objects.get(channel="email")
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.QUEUED)
    mail.outbox.clear()
    attachment = Attachment.objects.get()
    attachment.file.storage.delete(attachment.file.name)
    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.RETRYING
    delivery.refresh_from_db()
    assert f"The attached file '{attachment.filename}' could not be read" in delivery.last_error
    assert not mail.outbox


def test_it_refuses_the_owner_as_a_recipient(report, admin, as_user):
    response = _schedule(as_user(admin), report, recipients=[admin.pk])
    assert response.status_code == 400
    assert "Your own copy is the report itself: open it." in response.content.decode()
    assert not ReportSchedule.objects.exists()


def test_it_sends_nothing_twice_the_same_day(report, teacher, django_capture_on_commit_callbacks):
    schedule = ReportSchedule.objects.create(report=report, frequency="daily", next_run=timezone.localdate())
    schedule.recipients.set([teacher])
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
