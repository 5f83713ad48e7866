"""A notification fan-out whose task was lost (Huey does not acknowledge tasks: the worker died before or
while running it) is run again by the sweep every minute, once its task should have finished, and tells each
family exactly once; a second sweep sends nothing more.

"Lost" is simulated faithfully: the action is done through the page with its on-commit callbacks NOT run,
so the task was never executed, as when the worker holding it is killed. Time passing is the clock moving
on: every stored moment is moved back, as if the sweep ran a few minutes later.
"""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db.models import F
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from modules.accounts.models import User
from modules.accounts.services import invitation_send
from modules.attendance.models import AttendancePolicy, AttendanceRecord, Register
from modules.communications.models import Announcement, Delivery, Notification
from modules.exams.models import Assessment, TermStatus
from modules.fees import billing
from modules.fees.models import Invoice
from modules.fees.notices import notify_new_invoices
from tasks.announcements import publish_due_announcements
from tasks.recovery import catch_up_attendance_digest, catch_up_fee_reminders, sweep_lost_fanouts
from tests import factories as f
from tests.clock import huey_time
from tests.fakes import RecordingSmtpHandler, RefusingSmtpHandler, free_port, smtp_mailers, smtp_server

pytestmark = pytest.mark.django_db

STORED_MOMENTS = {
    User: ["invited_at", "invitation_due_at"],
    Register: ["submitted_at", "notified_at", "started_at"],
    AttendanceRecord: ["marked_at", "absence_notified_at"],
    Assessment: ["published_at", "notified_at"],
    TermStatus: ["results_published_at", "results_notified_at"],
    Announcement: ["publish_at", "notified_at"],
    Invoice: ["notice_due_at"],
}


def clock_moves_on(**delta):
    """As if the sweep ran this much later: every stored moment of the fan-outs is moved back."""
    step = datetime.timedelta(**delta)
    for model, fields in STORED_MOMENTS.items():
        for field in fields:
            model.objects.filter(**{f"{field}__isnull": False}).update(**{field: F(field) - step})


def sweep(capture) -> int:
    """The periodic task as the consumer runs it; the emails it queues go out when it commits."""
    with capture(execute=True):
        return sweep_lost_fanouts.call_local()


def titles(user, kind):
    return list(Notification.objects.filter(recipient=user, kind=kind).values_list("title", flat=True))


def save_url(register) -> str:
    return reverse("attendance:register_save", args=[register.pk])


def page_data(client, register) -> dict:
    """Every field of the register's plain form as the page drew it (what a browser sends untouched)."""
    page = client.get(reverse("attendance:register_detail", args=[register.pk])).content.decode()
    data = {}
    for chunk in page.split("<input")[1:]:
        tag = chunk.split(">", 1)[0]
        if ' name="' not in tag:
            continue
        name = tag.split(' name="', 1)[1].split('"', 1)[0]
        value = tag.split(' value="', 1)[1].split('"', 1)[0] if ' value="' in tag else ""
        if ('type="radio"' in tag and " checked" not in tag) or name == "csrfmiddlewaretoken":
            continue
        data[name] = value
    return data


def choose(data: dict, student, status: str) -> dict:
    return {**data, f"s{student.pk}-status": status}


@pytest.fixture
def register(school):
    return f.RegisterFactory(section=school.section)


def submit_with_absent_child(client, register, school, capture, *, task_runs: bool):
    data = choose(page_data(client, register), school.child, "absent")
    with capture(execute=task_runs):
        response = client.post(save_url(register), {**data, "action": "submit"})
    assert response.status_code == 302
    assert Register.objects.get(pk=register.pk).state == "submitted"


def test_the_sweep_runs_every_minute():
    every_minute = sweep_lost_fanouts.task_class().validate_datetime
    assert every_minute(huey_time(2031, 5, 2, 10, 17))
    assert every_minute(huey_time(2031, 5, 2, 3, 1))


# --- absences ----------------------------------------------------------------------------------------------


def test_a_lost_absence_notice_is_sent_once_after_the_lease(
    as_user, teacher, guardian, school, register, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    submit_with_absent_child(as_user(teacher), register, school, capture, task_runs=False)
    assert titles(guardian, "absence") == []
    assert mail.outbox == []

    sweep(capture)  # its task may still be on the queue: left alone
    assert titles(guardian, "absence") == []
    assert mail.outbox == []

    clock_moves_on(minutes=3)
    assert sweep(capture) == 1
    assert len(titles(guardian, "absence")) == 1
    assert titles(guardian, "absence")[0].startswith("Sam was absent")
    assert [message.to for message in mail.outbox] == [[guardian.email]]
    assert AttendanceRecord.objects.get(register=register).absence_notified_at is not None

    assert sweep(capture) == 0
    clock_moves_on(minutes=3)
    assert sweep(capture) == 0
    assert len(titles(guardian, "absence")) == 1
    assert len(mail.outbox) == 1


def test_a_notice_whose_task_ran_is_not_sent_again(
    as_user, teacher, guardian, school, register, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    submit_with_absent_child(as_user(teacher), register, school, capture, task_runs=True)
    assert len(mail.outbox) == 1
    clock_moves_on(minutes=3)
    assert sweep(capture) == 0
    assert len(titles(guardian, "absence")) == 1
    assert len(mail.outbox) == 1


def test_a_lost_correction_is_sent_once(
    as_user, teacher, guardian, school, register, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    client = as_user(teacher)
    submit_with_absent_child(client, register, school, capture, task_runs=True)
    clock_moves_on(minutes=10)
    data = choose(page_data(client, register), school.child, "present")
    with capture(execute=False):  # the correction's task is lost
        assert client.post(save_url(register), {**data, "action": "save"}).status_code == 302
    assert AttendanceRecord.objects.get(register=register).status == "present"
    assert len(titles(guardian, "absence")) == 1

    clock_moves_on(minutes=3)
    assert sweep(capture) == 1
    assert titles(guardian, "absence")[0].startswith("Correction: Sam was present")
    assert len(titles(guardian, "absence")) == 2
    assert [message.subject.startswith("Correction") for message in mail.outbox] == [False, True]

    clock_moves_on(minutes=3)
    assert sweep(capture) == 0
    assert len(titles(guardian, "absence")) == 2
    assert len(mail.outbox) == 2


def test_a_lost_notice_for_an_absence_marked_after_submission_is_sent_once(
    as_user, teacher, guardian, school, register, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    client = as_user(teacher)
    with capture(execute=True):
        client.post(save_url(register), {**page_data(client, register), "action": "submit"})
    clock_moves_on(minutes=10)
    data = choose(page_data(client, register), school.child, "absent")
    with capture(execute=False):
        assert client.post(save_url(register), {**data, "action": "save"}).status_code == 302
    assert titles(guardian, "absence") == []

    clock_moves_on(minutes=3)
    assert sweep(capture) == 1
    assert len(titles(guardian, "absence")) == 1
    assert len(mail.outbox) == 1
    clock_moves_on(minutes=3)
    assert sweep(capture) == 0
    assert len(mail.outbox) == 1


def test_nothing_is_owed_while_the_school_does_not_tell_guardians(
    as_user, teacher, guardian, school, register, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    policy = AttendancePolicy.load()
    policy.notify_absences = False
    policy.save()
    submit_with_absent_child(as_user(teacher), register, school, capture, task_runs=False)
    clock_moves_on(minutes=3)
    sweep(capture)
    assert titles(guardian, "absence") == []
    assert mail.outbox == []

    # Turning notices on later does not tell families about registers submitted while they were off.
    policy.notify_absences = True
    policy.save()
    clock_moves_on(minutes=3)
    assert sweep(capture) == 0
    assert titles(guardian, "absence") == []
    assert mail.outbox == []


def test_a_notice_lost_longer_ago_than_the_look_back_is_not_sent_now(
    as_user, teacher, guardian, school, register, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    submit_with_absent_child(as_user(teacher), register, school, capture, task_runs=False)
    clock_moves_on(days=3)  # the queue was down for three days (or this is the first sweep after upgrading)
    assert sweep(capture) == 0
    assert titles(guardian, "absence") == []
    assert mail.outbox == []


# --- published marks and term results -------------------------------------------------------------------


def test_a_lost_marks_published_notice_is_sent_once(
    as_user, teacher, guardian, student, school, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    quiz = f.AssessmentFactory(offering=school.offering, term=school.term, name="Fractions test")
    with capture(execute=False):
        response = as_user(teacher).post(reverse("exams:gradebook_assessment_publish", args=[quiz.pk]))
    assert response.status_code == 302
    assert Assessment.objects.get(pk=quiz.pk).published_at is not None
    assert titles(guardian, "grades_published") == []

    sweep(capture)
    assert titles(guardian, "grades_published") == []
    clock_moves_on(minutes=3)
    assert sweep(capture) == 1
    assert len(titles(guardian, "grades_published")) == 1
    assert len(titles(student, "grades_published")) == 1
    assert sorted(message.to[0] for message in mail.outbox) == [guardian.email, student.email]

    clock_moves_on(minutes=3)
    assert sweep(capture) == 0
    assert len(titles(guardian, "grades_published")) == 1
    assert len(mail.outbox) == 2


def test_lost_term_results_notices_are_sent_once_and_not_per_assessment(
    as_user, admin, guardian, school, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    f.AssessmentFactory(offering=school.offering, term=school.term, name="Unit test")
    with capture(execute=False):
        response = as_user(admin).post(reverse("exams:term_publish", args=[school.term.pk]))
    assert response.status_code == 302
    assert TermStatus.objects.get(term=school.term).results_published_at is not None
    assert titles(guardian, "grades_published") == []

    clock_moves_on(minutes=3)
    assert sweep(capture) == 1
    notices = Notification.objects.filter(recipient=guardian, kind="grades_published")
    assert notices.count() == 1
    assert "Term 1" in notices.get().body
    assert [message.to for message in mail.outbox if message.to == [guardian.email]] == [[guardian.email]]

    clock_moves_on(minutes=3)
    assert sweep(capture) == 0
    assert notices.count() == 1


# --- new invoices ---------------------------------------------------------------------------------------


def test_lost_new_invoice_notices_are_sent_once(school, bursar, guardian, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    structure = f.FeeStructureFactory(year=school.year, grade_level=school.section.grade_level)
    instalment = f.InstalmentFactory(structure=structure, number=1, label="Term 1")
    f.InstalmentChargeFactory(instalment=instalment, amount="500.00")
    with capture(execute=False):  # the generation commits; its notice tasks are lost
        billing.generate_invoices(year=school.year, number=1, by=bursar)
    invoice = Invoice.objects.get(student=school.child)
    assert titles(guardian, "new_invoice") == []

    sweep(capture)
    assert titles(guardian, "new_invoice") == []
    clock_moves_on(minutes=3)
    sweep(capture)
    assert titles(guardian, "new_invoice") == [f"New invoice {invoice.number} for Sam"]
    assert [m.subject for m in mail.outbox if m.to == [guardian.email]] == [
        f"New invoice {invoice.number} for Sam"
    ]

    clock_moves_on(minutes=3)
    assert sweep(capture) == 0
    with capture(execute=True):
        notify_new_invoices([invoice.pk])  # the lost task turning up after all
    assert len(titles(guardian, "new_invoice")) == 1
    assert len([m for m in mail.outbox if m.to == [guardian.email]]) == 1


def test_invoices_generated_without_notices_owe_none(
    school, bursar, guardian, django_capture_on_commit_callbacks
):
    structure = f.FeeStructureFactory(year=school.year, grade_level=school.section.grade_level)
    instalment = f.InstalmentFactory(structure=structure, number=1, label="Term 1")
    f.InstalmentChargeFactory(instalment=instalment, amount="500.00")
    with django_capture_on_commit_callbacks(execute=True):
        billing.generate_invoices(year=school.year, number=1, by=bursar, notify=False)
    clock_moves_on(minutes=3)
    assert sweep(django_capture_on_commit_callbacks) == 0
    assert titles(guardian, "new_invoice") == []
    assert mail.outbox == []


# --- announcements: already covered by their own periodic task ------------------------------------------


def test_a_lost_publish_now_announcement_is_published_by_the_minute_task(
    as_user, admin, guardian, school, django_capture_on_commit_callbacks
):
    form = {"title": "Trip to the museum", "body": "We leave at 9.", "audience": "section"}
    form |= {"section": school.section.pk, "publish_at": "", "expires_at": ""}
    with django_capture_on_commit_callbacks(execute=False):
        response = as_user(admin).post(reverse("communications:announcement_create"), form)
    assert response.status_code == 302
    assert titles(guardian, "announcement") == []

    with django_capture_on_commit_callbacks(execute=True):
        publish_due_announcements.call_local()
    assert titles(guardian, "announcement") == ["Trip to the museum"]
    assert [message.to for message in mail.outbox if message.to == [guardian.email]] == [[guardian.email]]
    with django_capture_on_commit_callbacks(execute=True):
        assert publish_due_announcements.call_local() == 0
    assert titles(guardian, "announcement") == ["Trip to the museum"]


# --- invitations ------------------------------------------------------------------------------------------


def new_staff(client, capture, *, task_runs: bool) -> User:
    form = {
        "first_name": "Nora",
        "last_name": "Newhire",
        "email": "nora.newhire@school.test",
        "phone": "",
        "staff_number": "S-9001",
        "position": "teacher",
        "job_title": "Science teacher",
        "hire_date": "2026-09-01",
        "is_active": "on",
    }
    with capture(execute=task_runs):
        assert client.post(reverse("people:staff_create"), form).status_code == 302
    return User.objects.get(email="nora.newhire@school.test")


def test_a_lost_invitation_is_sent_once_after_the_lease(
    as_user, admin, school, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    nora = new_staff(as_user(admin), capture, task_runs=False)
    assert mail.outbox == []
    sweep(capture)
    assert mail.outbox == []  # its task may still be on the queue

    clock_moves_on(minutes=3)
    assert sweep(capture) == 1
    assert [message.to for message in mail.outbox] == [[nora.email]]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body

    clock_moves_on(minutes=3)
    assert sweep(capture) == 0
    assert invitation_send(user_id=nora.pk) is False  # the lost task turning up after all: nothing
    assert len(mail.outbox) == 1


def test_an_invitation_whose_task_ran_is_not_sent_again(
    as_user, admin, school, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    nora = new_staff(as_user(admin), capture, task_runs=True)
    assert len(mail.outbox) == 1
    assert invitation_send(user_id=nora.pk) is False  # the task run twice
    clock_moves_on(minutes=3)
    assert sweep(capture) == 0
    assert len(mail.outbox) == 1


def test_an_invitation_the_mail_server_could_not_take_is_sent_by_a_later_sweep(
    as_user, admin, school, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    nora = new_staff(as_user(admin), capture, task_runs=False)
    clock_moves_on(minutes=3)
    with override_settings(MAILERS=smtp_mailers("127.0.0.1", free_port(), timeout=2)):  # nobody listening
        assert sweep(capture) == 0
    handler = RecordingSmtpHandler()
    with smtp_server(handler) as (host, port), override_settings(MAILERS=smtp_mailers(host, port)):
        assert sweep(capture) == 0  # tried a moment ago: not before the lease has passed
        clock_moves_on(minutes=3)
        assert sweep(capture) == 1
        clock_moves_on(minutes=3)
        assert sweep(capture) == 0
    assert [to for _sender, to in handler.envelopes] == [[nora.email]]


def test_an_invitation_refused_by_the_mail_server_is_not_retried(
    as_user, admin, school, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    new_staff(as_user(admin), capture, task_runs=False)
    clock_moves_on(minutes=3)
    refusing = RefusingSmtpHandler("550 5.1.1 No such mailbox")
    with smtp_server(refusing) as (host, port), override_settings(MAILERS=smtp_mailers(host, port)):
        assert sweep(capture) == 1
    assert refusing.refused == 1
    handler = RecordingSmtpHandler()
    with smtp_server(handler) as (host, port), override_settings(MAILERS=smtp_mailers(host, port)):
        clock_moves_on(minutes=3)
        assert sweep(capture) == 0
    assert handler.envelopes == []


# --- morning runs: fee reminders and the weekly digest -----------------------------------------------------


def test_the_morning_runs_are_made_up_on_the_hour_for_four_hours(settings):
    settings.TIME_ZONE = "UTC"
    friday, monday = datetime.date(2026, 12, 4), datetime.date(2026, 12, 7)

    def at(day, hour, minute=0):
        return datetime.datetime.combine(day, datetime.time(hour, minute))  # naive UTC, as Huey passes it

    reminders_catch_up_time = catch_up_fee_reminders.task_class().validate_datetime
    digest_catch_up_time = catch_up_attendance_digest.task_class().validate_datetime

    assert [reminders_catch_up_time(at(friday, hour)) for hour in (7, 8, 9, 10, 11, 12)] == [
        False,  # the run itself (tasks/fees_reminders.py)
        True,
        True,
        True,
        True,
        False,
    ]
    assert not reminders_catch_up_time(at(friday, 8, 1))
    assert digest_catch_up_time(at(monday, 8))
    assert digest_catch_up_time(at(monday, 11))
    assert not digest_catch_up_time(at(monday, 7))
    assert not digest_catch_up_time(at(friday, 8))


def test_a_lost_morning_reminder_run_is_made_up_once(school, guardian, django_capture_on_commit_callbacks):
    due = timezone.localdate() + datetime.timedelta(days=7)  # the "due in a week" step is reached today
    f.InvoiceFactory(
        year=school.year,
        student=school.child,
        total="250.00",
        due_date=due,
        section=school.section,
        issued_on=timezone.localdate() - datetime.timedelta(days=30),
    )
    # The 07:00 run was lost with its worker: nobody was reminded. The catch-up an hour later reminds once.
    with django_capture_on_commit_callbacks(execute=True):
        assert catch_up_fee_reminders.call_local() == 1
    assert len(titles(guardian, "fee_reminder")) == 1
    assert [m.to for m in mail.outbox if m.to == [guardian.email]] == [[guardian.email]]
    with django_capture_on_commit_callbacks(execute=True):
        assert catch_up_fee_reminders.call_local() == 0
    assert len(titles(guardian, "fee_reminder")) == 1


def test_the_demo_school_owes_no_fan_out(db, settings, tmp_path, django_capture_on_commit_callbacks):
    """Its history (registers, publications, term results) was told when it happened: the sweep after
    `seed_demo` sends nothing."""
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", "--size", "small", stdout=StringIO())
    notifications, deliveries = Notification.objects.count(), Delivery.objects.count()
    assert sweep(django_capture_on_commit_callbacks) == 0
    assert (Notification.objects.count(), Delivery.objects.count()) == (notifications, deliveries)
