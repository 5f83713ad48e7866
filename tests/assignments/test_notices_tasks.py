"""The homework queue: when the periodic tasks run (at the school's hour, whatever the server's zone), the
catch-up runs for a lost afternoon, and the sweep that makes up a lost "new homework" or "work returned"
fan-out (Huey does not acknowledge tasks: the task is simply never run here, as when its worker is killed)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from modules.assignments.models import Submission
from modules.communications.models import Notification, NotificationPreference
from tasks.assignments import publish_due_assignments, send_homework_due_reminders, send_missing_work_digests
from tasks.recovery import (
    catch_up_homework_due_reminders,
    catch_up_missing_work_digests,
    sweep_lost_fanouts,
)
from tests import factories as f
from tests.clock import huey_time

pytestmark = pytest.mark.django_db


def test_it_reminds_at_four_and_sends_the_digest_at_six_in_the_schools_time_zone(settings):
    settings.TIME_ZONE = "Europe/Madrid"  # UTC+1 in winter, UTC+2 in summer
    reminders = send_homework_due_reminders.task_class().validate_datetime
    assert reminders(huey_time(2026, 12, 3, 15, 0))  # 16:00 in Madrid
    assert reminders(huey_time(2026, 6, 3, 14, 0))  # 16:00 in Madrid, summer time
    assert not reminders(huey_time(2026, 12, 3, 16, 0))
    assert not reminders(huey_time(2026, 12, 3, 15, 1))
    digest = send_missing_work_digests.task_class().validate_datetime
    assert digest(huey_time(2026, 12, 3, 17, 0))
    assert not digest(huey_time(2026, 12, 3, 18, 0))


def test_it_catches_up_on_the_hours_after_a_lost_run(settings):
    settings.TIME_ZONE = "UTC"
    reminders = catch_up_homework_due_reminders.task_class().validate_datetime
    assert [hour for hour in range(24) if reminders(huey_time(2026, 12, 3, hour, 0))] == [17, 18, 19, 20]
    digest = catch_up_missing_work_digests.task_class().validate_datetime
    assert [hour for hour in range(24) if digest(huey_time(2026, 12, 3, hour, 0))] == [19, 20, 21, 22]


def test_the_periodic_tasks_run_the_services(school, student, guardian):
    now = timezone.now()
    f.AssignmentFactory(
        offering=school.offering,
        term=school.term,
        title="Due tomorrow",
        due_at=now + datetime.timedelta(days=1),
    )
    f.AssignmentFactory(
        offering=school.offering,
        term=school.term,
        title="Missed",
        opens_at=now - datetime.timedelta(days=3),
        published_at=now - datetime.timedelta(days=3),
        due_at=now - datetime.timedelta(days=1),
    )
    NotificationPreference.objects.create(user=guardian, kind="missing_work", in_app=True, email=False)
    assert send_homework_due_reminders.call_local() == 1
    assert send_missing_work_digests.call_local() == 1
    assert Notification.objects.filter(recipient=student, kind="homework_due").count() == 1
    assert "Missed" in Notification.objects.get(recipient=guardian, kind="missing_work").body
    # The catch-up an hour later finds everything sent.
    assert catch_up_homework_due_reminders.call_local() == 0
    assert catch_up_missing_work_digests.call_local() == 1  # ran again: the same day's digest, not resent
    assert Notification.objects.filter(recipient=guardian, kind="missing_work").count() == 1


def test_the_sweep_makes_up_a_lost_new_homework_notice_once(
    school, student, django_capture_on_commit_callbacks
):
    lease = datetime.timedelta(minutes=5)
    published = timezone.now() - lease
    owed = f.AssignmentFactory(offering=school.offering, term=school.term, published_at=published)
    f.AssignmentFactory(  # told already
        offering=school.offering, term=school.term, published_at=published, notified_at=published
    )
    f.AssignmentFactory(  # its own task may still be running
        offering=school.offering, term=school.term, published_at=timezone.now()
    )
    f.AssignmentFactory(  # too old to tell now
        offering=school.offering,
        term=school.term,
        opens_at=timezone.now() - datetime.timedelta(days=5),
        published_at=timezone.now() - datetime.timedelta(days=4),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_lost_fanouts.call_local() == 1
    titles = list(
        Notification.objects.filter(recipient=student, kind="assignment_published").values_list(
            "object_id", flat=True
        )
    )
    assert titles == [str(owed.pk)]  # not the one told, nor one whose task may still run, nor last week's
    owed.refresh_from_db()
    assert owed.notified_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_lost_fanouts.call_local() == 0


def test_the_sweep_makes_up_a_lost_work_returned_notice_once(school, student, guardian):
    assignment = f.AssignmentFactory(offering=school.offering, term=school.term, notified_at=timezone.now())
    returned = timezone.now() - datetime.timedelta(minutes=5)
    submission = f.SubmissionFactory(assignment=assignment, student=school.child, returned_at=returned)
    assert sweep_lost_fanouts.call_local() == 1
    assert Notification.objects.filter(kind="work_returned", recipient__in=[student, guardian]).count() == 2
    submission.refresh_from_db()
    assert submission.notified_at is not None
    assert sweep_lost_fanouts.call_local() == 0
    # Returned again later (a corrected mark) and its task lost too: owed again, told once more.
    Submission.objects.filter(pk=submission.pk).update(
        notified_at=timezone.now() - datetime.timedelta(minutes=10),
        returned_at=timezone.now() - datetime.timedelta(minutes=3),
    )
    assert sweep_lost_fanouts.call_local() == 1
    assert Notification.objects.filter(kind="work_returned", recipient=guardian).count() == 2


def test_it_publishes_scheduled_homework_every_minute_and_tells_the_class(
    school, student, django_capture_on_commit_callbacks
):
    every_minute = publish_due_assignments.task_class().validate_datetime
    assert every_minute(huey_time(2026, 12, 3, 10, 17))
    assert every_minute(huey_time(2026, 12, 3, 3, 1))
    due = f.AssignmentFactory(
        offering=school.offering,
        term=school.term,
        title="Scheduled",
        published_at=None,
        publish_at=timezone.now() - datetime.timedelta(seconds=30),
    )
    later = f.AssignmentFactory(
        offering=school.offering,
        term=school.term,
        published_at=None,
        publish_at=timezone.now() + datetime.timedelta(hours=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert publish_due_assignments.call_local() == 1
    due.refresh_from_db()
    later.refresh_from_db()
    assert due.published_at is not None
    assert due.notified_at is not None
    assert later.published_at is None
    [notice] = Notification.objects.filter(recipient=student, kind="assignment_published")
    assert notice.title == "New Mathematics homework: Scheduled"
    with django_capture_on_commit_callbacks(execute=True):
        assert publish_due_assignments.call_local() == 0
    assert Notification.objects.filter(recipient=student).count() == 1
