"""Homework notices through the real communications path: the events of modules/assignments/events.py are
sent as the services send them, the queue runs (HUEY immediate in the tests), and what people get is read
from the notifications and deliveries stored — each in its reader's language, nobody told twice."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from modules.assignments.events import assignment_published, work_returned
from modules.assignments.models import Assignment, HandIn, Submission
from modules.assignments.notices import (
    assignment_published_notify,
    homework_due_reminders_send,
    missing_work_digest_send,
    work_returned_notify,
)
from modules.communications.models import Delivery, Notification, NotificationPreference
from tests import factories as f

pytestmark = pytest.mark.django_db

# A Thursday afternoon; "tomorrow" is Friday 2026-12-04.
NOW = datetime.datetime(2026, 12, 3, 16, 0, tzinfo=datetime.UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 12, day, hour, minute, tzinfo=datetime.UTC)


def notices(user, kind):
    return list(Notification.objects.filter(recipient=user, kind=kind).order_by("pk"))


def homework(school, **fields) -> Assignment:
    defaults = {
        "offering": school.offering,
        "term": school.term,
        "title": "Fractions worksheet",
        "opens_at": at(1, 8),
        "due_at": at(4, 17),
        "published_at": at(1, 8),
    }
    return f.AssignmentFactory(**{**defaults, **fields})


def classmate(school, *, language: str = "en", first_name: str = "Lucía"):
    user = f.UserFactory(first_name=first_name, language=language)
    child = f.StudentFactory(user=user, first_name=first_name, last_name="García")
    f.EnrollmentFactory(student=child, section=school.section)
    return user, child


def opt_in(client, kind: str) -> None:
    """The guardian switches a kind on in their notification settings, as they would on the page: every box
    as the page drew it, and the kind's in-app and email boxes ticked."""
    url = reverse("communications:notification_preferences")
    page = client.get(url).content.decode()
    ticked = dict.fromkeys(re.findall(r'name="([a-z_]+-[a-z_]+)" id="[^"]+" checked', page), "on")
    response = client.post(url, {**ticked, f"{kind}-in_app": "on", f"{kind}-email": "on"})
    assert response.status_code == 302


# --- a new assignment --------------------------------------------------------------------------------------


def test_it_tells_each_student_of_the_class_in_their_own_language(
    school, student, guardian, other_guardian, django_capture_on_commit_callbacks
):
    spanish, _child = classmate(school, language="es")
    assignment = homework(school, due_at=at(18, 17), published_at=None)
    Assignment.objects.filter(pk=assignment.pk).update(published_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assignment_published.send_on_commit(assignment_id=assignment.pk, by=None)

    [mine] = notices(student, "assignment_published")
    assert mine.title == "New Mathematics homework: Fractions worksheet"
    assert mine.body.startswith(
        'Tom Teach set "Fractions worksheet" for Mathematics. It is due Friday 18 December'
    )
    [theirs] = notices(spanish, "assignment_published")
    assert "diciembre" in theirs.body  # the date in the reader's language
    emails = Delivery.objects.filter(kind="assignment_published", channel="email")
    assert dict(emails.values_list("recipient_id", "language")) == {student.pk: "en", spanish.pk: "es"}
    # Students only: guardians are not told of every new assignment; another class hears nothing.
    assert not Notification.objects.filter(recipient__in=[guardian, other_guardian]).exists()
    assignment.refresh_from_db()
    assert assignment.notified_at is not None

    # The task run again (a retry, the sweep) tells nobody twice.
    assert assignment_published_notify(assignment_id=assignment.pk) == 2
    assert len(notices(student, "assignment_published")) == 1
    assert emails.count() == 2


def test_it_tells_nobody_of_an_assignment_not_yet_visible(school, student):
    later = homework(school, published_at=timezone.now() + datetime.timedelta(hours=2))
    assert assignment_published_notify(assignment_id=later.pk) == 0
    draft = homework(school, published_at=None)
    assert assignment_published_notify(assignment_id=draft.pk) == 0
    assert not Notification.objects.exists()
    assert Assignment.objects.filter(notified_at__isnull=False).count() == 0


def test_it_leaves_out_withdrawn_students(school, student):
    enrollment = school.child.enrollments.get()
    enrollment.status = "withdrawn"
    enrollment.save()
    assignment = homework(school, published_at=timezone.now() - datetime.timedelta(minutes=1))
    assert assignment_published_notify(assignment_id=assignment.pk) == 0
    assert not notices(student, "assignment_published")


# --- work returned -----------------------------------------------------------------------------------------


def test_it_tells_the_student_and_guardians_when_work_is_returned_without_the_mark(
    school, student, guardian, django_capture_on_commit_callbacks
):
    guardian.language = "fr"
    guardian.save()
    quiet = f.GuardianFactory(user=f.UserFactory(email="quiet@school.test"))
    f.GuardianLinkFactory(
        student=school.child, guardian=quiet, is_primary=False, receives_notifications=False
    )
    assessment = f.AssessmentFactory(offering=school.offering, term=school.term, max_score=10)
    assignment = homework(school, assessment=assessment, due_at=at(2, 17))
    submission = f.SubmissionFactory(
        assignment=assignment, student=school.child, raw_score=8, returned_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        work_returned.send_on_commit(submission_ids=[submission.pk], by=None)

    [mine] = notices(student, "work_returned")
    assert mine.title == "Sam's homework was returned: Fractions worksheet"
    assert "mark and the teacher's feedback are in the portal" in mine.body
    assert "8" not in mine.body  # the mark is read in the portal, never sent
    [parent] = notices(guardian, "work_returned")
    assert Delivery.objects.get(recipient=guardian, kind="work_returned", channel="email").language == "fr"
    assert not notices(quiet.user, "work_returned")
    assert mine.url == reverse("assignments:student_assignment", args=[assignment.pk])
    assert parent.url == reverse("assignments:child_assignment", args=[school.child.pk, assignment.pk])
    submission.refresh_from_db()
    assert submission.notified_at is not None

    # Again: nothing new. Returned again after a correction: news again.
    assert work_returned_notify(submission_ids=[submission.pk]) == 0
    assert len(notices(guardian, "work_returned")) == 1
    Submission.objects.filter(pk=submission.pk).update(
        returned_at=timezone.now() + datetime.timedelta(seconds=5)
    )
    assert work_returned_notify(submission_ids=[submission.pk]) == 1
    assert len(notices(guardian, "work_returned")) == 2


def test_it_says_returned_not_marked_for_work_without_a_mark(school, student):
    assignment = homework(school, due_at=at(2, 17))
    submission = f.SubmissionFactory(assignment=assignment, student=school.child, returned_at=timezone.now())
    assert work_returned_notify(submission_ids=[submission.pk]) == 1
    [mine] = notices(student, "work_returned")
    assert "was returned to Sam Parent. The teacher's feedback is in the portal." in mine.body


def test_it_tells_nobody_of_work_not_returned(school, student):
    submission = f.SubmissionFactory(assignment=homework(school), student=school.child)
    assert work_returned_notify(submission_ids=[submission.pk]) == 0
    assert not Notification.objects.exists()


# --- due tomorrow ------------------------------------------------------------------------------------------


def test_it_reminds_the_students_who_have_not_handed_in_the_day_before(school, student, guardian):
    done_user, done = classmate(school, first_name="Ana")
    extended_user, extended = classmate(school, first_name="Eva")
    due = homework(school)  # due Friday 17:00
    f.SubmissionFactory(assignment=due, student=done, submitted_at=at(3, 9))
    Submission.objects.create(assignment=due, student=extended, extended_due_at=at(8, 17))
    homework(school, title="Next week's essay", due_at=at(9, 17))

    assert homework_due_reminders_send(now=NOW) == 1
    [reminder] = notices(student, "homework_due")
    assert reminder.url == reverse("assignments:student_assignment", args=[due.pk])
    assert reminder.title == "Due tomorrow: Fractions worksheet (Mathematics)"
    assert "you have not handed it in yet" in reminder.body
    assert not notices(done_user, "homework_due")  # handed in
    assert not notices(extended_user, "homework_due")  # not due tomorrow for her
    assert not notices(guardian, "child_homework_due")  # guardians did not ask
    due.refresh_from_db()
    assert due.reminded_at == NOW

    # The run again (the catch-up an hour later) finds nothing owed and sends nothing.
    assert homework_due_reminders_send(now=NOW + datetime.timedelta(hours=1)) == 0
    assert len(notices(student, "homework_due")) == 1


def test_it_reminds_again_when_the_due_date_moves_later(school, student):
    due = homework(school, due_at=at(2, 17))
    assert homework_due_reminders_send(now=at(1, 16)) == 1
    Assignment.objects.filter(pk=due.pk).update(due_at=at(4, 17))
    assert homework_due_reminders_send(now=NOW) == 1
    assert len(notices(student, "homework_due")) == 2


def test_it_reminds_guardians_who_switched_it_on_naming_their_child(
    school, student, guardian, other_guardian, as_user
):
    page = as_user(guardian).get(reverse("communications:notification_preferences")).content.decode()
    assert "Homework due tomorrow (my children)" in page
    assert 'name="child_homework_due-in_app" id="child_homework_due-in_app">' in page  # off by default
    opt_in(as_user(guardian), "child_homework_due")
    homework(school, hand_in=HandIn.PAPER)

    assert homework_due_reminders_send(now=NOW) == 1
    [reminder] = notices(guardian, "child_homework_due")
    assert reminder.title == "Sam: Mathematics homework due tomorrow"
    assert "It is handed in on paper, in class." in reminder.body
    assert Delivery.objects.filter(recipient=guardian, kind="child_homework_due", channel="email").exists()
    assert "Remember to bring it to class." in notices(student, "homework_due")[0].body
    assert not Notification.objects.filter(recipient=other_guardian).exists()


# --- the missing-work digest -------------------------------------------------------------------------------


def test_it_sends_the_missing_work_digest_only_to_guardians_who_asked(school, student, guardian, as_user):
    missed = homework(school, title="Fractions worksheet", due_at=at(2, 17))
    handed_in = homework(school, title="Decimals", due_at=at(2, 17))
    f.SubmissionFactory(assignment=handed_in, student=school.child, submitted_at=at(2, 12))
    homework(school, title="Paper poster", due_at=at(2, 17), hand_in=HandIn.PAPER)
    homework(
        school,
        title="Long ago",
        opens_at=at(1, 8) - datetime.timedelta(days=40),
        due_at=at(1, 9) - datetime.timedelta(days=30),
    )
    homework(school, title="Not due yet", due_at=at(9, 17))
    evening = at(3, 18)

    assert missing_work_digest_send(now=evening) == 0  # nobody asked: off by default
    assert not Notification.objects.exists()

    opt_in(as_user(guardian), "missing_work")
    assert missing_work_digest_send(now=evening) == 1
    [digest] = notices(guardian, "missing_work")
    assert digest.url == reverse("assignments:child_list", args=[school.child.pk])
    assert digest.title == "Missing homework: 1 piece not handed in"
    assert "Sam Parent:" in digest.body
    assert "Fractions worksheet (Mathematics), due" in digest.body
    assert "late work still accepted" in digest.body
    for left_out in ("Decimals", "Paper poster", "Long ago", "Not due yet"):
        assert left_out not in digest.body
    assert not notices(student, "missing_work")
    assert missed.pk

    # Once a day, however often it runs; the next evening it comes again while the work is missing.
    assert missing_work_digest_send(now=evening + datetime.timedelta(hours=1)) == 1
    assert len(notices(guardian, "missing_work")) == 1
    f.SubmissionFactory(assignment=missed, student=school.child, submitted_at=at(4, 7), is_late=True)
    assert missing_work_digest_send(now=evening + datetime.timedelta(days=1)) == 0


def test_it_writes_the_digest_in_the_guardians_language(school, guardian, as_user):
    guardian.language = "es"
    guardian.save()
    opt_in(as_user(guardian), "missing_work")
    homework(school, due_at=at(2, 17))
    assert missing_work_digest_send(now=at(3, 18)) == 1
    [digest] = notices(guardian, "missing_work")
    assert "diciembre" in digest.body
    assert Delivery.objects.get(recipient=guardian, kind="missing_work", channel="email").language == "es"


def test_each_notice_leads_somewhere_its_reader_may_open(school, student, guardian, as_user):
    opt_in(as_user(guardian), "child_homework_due")
    now = timezone.now()
    assignment = homework(
        school,
        opens_at=now - datetime.timedelta(days=1),
        published_at=now - datetime.timedelta(hours=1),
        due_at=now + datetime.timedelta(days=1),
    )
    assert assignment_published_notify(assignment_id=assignment.pk) == 1
    assert homework_due_reminders_send(now=now) == 1
    submission = f.SubmissionFactory(assignment=assignment, student=school.child, returned_at=now)
    assert work_returned_notify(submission_ids=[submission.pk]) == 1
    expected = {student: 3, guardian: 2}  # the student: new, due, returned; the guardian: due, returned
    for person, count in expected.items():
        client = as_user(person)
        urls = list(Notification.objects.filter(recipient=person).values_list("url", flat=True))
        assert len(urls) == count, urls
        for url in urls:
            assert client.get(url).status_code == 200, url


def test_the_digest_leaves_out_children_the_guardian_is_not_told_about(school, guardian, as_user):
    opt_in(as_user(guardian), "missing_work")
    link = school.child.guardian_links.get(guardian=school.guardian_profile)
    link.receives_notifications = False
    link.save()
    homework(school, due_at=at(2, 17))
    assert missing_work_digest_send(now=at(3, 18)) == 0
    assert not notices(guardian, "missing_work")


def test_a_guardian_who_switched_the_reminder_off_again_hears_nothing(school, student, guardian, as_user):
    opt_in(as_user(guardian), "child_homework_due")
    NotificationPreference.objects.filter(user=guardian, kind="child_homework_due").update(
        in_app=False, email=False, sms=False
    )
    homework(school)
    assert homework_due_reminders_send(now=NOW) == 1  # the student is still reminded
    assert notices(student, "homework_due")
    assert not notices(guardian, "child_homework_due")
    assert not Delivery.objects.filter(recipient=guardian).exists()
