"""Telling guardians about absences when a register is submitted, and correcting a wrong notice."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from modules.attendance.models import AttendancePolicy, AttendanceRecord, Register
from modules.attendance.notices import absence_correction_notify, absences_notify
from modules.attendance.services import record_mark, register_submit
from modules.communications.models import Delivery, Notification
from modules.people.models import GuardianLink
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def register(school):
    return f.RegisterFactory(section=school.section, date=timezone.localdate())


@pytest.fixture
def classmates(school):
    """Three more students in 7A, each with a guardian who has a login: late, excused, present."""
    result = {}
    for name in ("Lena", "Eric", "Pia"):
        kid = f.StudentFactory(first_name=name, last_name="Class")
        f.EnrollmentFactory(student=kid, section=school.section)
        user = f.UserFactory(email=f"{name.lower()}.parent@school.test")
        parent = f.GuardianFactory(user=user, email=user.email)
        f.GuardianLinkFactory(student=kid, guardian=parent)
        result[name] = (kid, user)
    return result


def mark(register, student, status, by, **extra):
    return record_mark(register=register, student_id=student.pk, status=status, by=by, **extra)


def submit(register, by, capture):
    with capture(execute=True):
        register_submit(register=register, by=by)
    register.refresh_from_db()


def absence_titles(user):
    return list(Notification.objects.filter(recipient=user, kind="absence").values_list("title", flat=True))


def test_it_tells_the_guardians_of_absent_students_only(
    school, register, classmates, teacher, guardian, django_capture_on_commit_callbacks, mailoutbox
):
    mark(register, school.child, "absent", teacher)
    mark(register, classmates["Lena"][0], "late", teacher, late_minutes=10)
    mark(register, classmates["Eric"][0], "excused", teacher, reason="Dentist")
    submit(register, teacher, django_capture_on_commit_callbacks)

    titles = absence_titles(guardian)
    assert len(titles) == 1
    assert titles[0].startswith("Sam was absent on")
    for _kid, user in classmates.values():
        assert absence_titles(user) == []
    assert [message.to for message in mailoutbox] == [["parent@school.test"]]
    assert "Sam Parent was marked absent without an excuse" in mailoutbox[0].body
    assert f"/attendance/children/{school.child.pk}/" in mailoutbox[0].body
    sms = Delivery.objects.get(channel="sms")
    assert sms.address == "+1 555 0100"
    assert "Sam was absent" in sms.body_text
    record = AttendanceRecord.objects.get(register=register, student=school.child)
    assert record.absence_notified_at is not None
    assert Register.objects.get(pk=register.pk).notified_at is not None


def test_it_sends_nothing_for_marks_toggled_before_submitting(
    school, register, teacher, guardian, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        mark(register, school.child, "absent", teacher)
    assert absence_titles(guardian) == []  # marking alone tells nobody
    mark(register, school.child, "present", teacher)
    submit(register, teacher, django_capture_on_commit_callbacks)
    assert absence_titles(guardian) == []
    assert mailoutbox == []
    assert not Delivery.objects.exists()


def test_it_sends_nothing_twice_when_the_register_is_submitted_again(
    school, register, teacher, guardian, django_capture_on_commit_callbacks, mailoutbox
):
    mark(register, school.child, "absent", teacher)
    submit(register, teacher, django_capture_on_commit_callbacks)
    submit(register, teacher, django_capture_on_commit_callbacks)
    assert absences_notify(register_id=register.pk) == 0  # the task running again changes nothing
    assert len(absence_titles(guardian)) == 1
    assert len(mailoutbox) == 1
    assert Delivery.objects.filter(channel="email").count() == 1


def test_it_sends_one_short_correction_when_an_absence_turns_present_after_the_notice(
    school, register, teacher, guardian, django_capture_on_commit_callbacks, mailoutbox
):
    mark(register, school.child, "absent", teacher)
    submit(register, teacher, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        mark(register, school.child, "present", teacher)
    with django_capture_on_commit_callbacks(execute=True):
        mark(register, school.child, "absent", teacher)  # notified already: no second notice
    with django_capture_on_commit_callbacks(execute=True):
        mark(register, school.child, "present", teacher)  # corrected already: no second correction
    titles = absence_titles(guardian)
    assert len(titles) == 2
    assert titles[0].startswith("Correction: Sam was present on")
    assert [message.subject for message in mailoutbox][1].startswith("Correction: Sam was present")
    assert len(mailoutbox) == 2
    record = AttendanceRecord.objects.get(register=register, student=school.child)
    assert absence_correction_notify(record_id=record.pk) is False  # the task again: nothing


def test_it_sends_nothing_when_a_notified_absence_becomes_excused(
    school, register, teacher, guardian, django_capture_on_commit_callbacks, mailoutbox
):
    mark(register, school.child, "absent", teacher)
    submit(register, teacher, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        mark(register, school.child, "excused", teacher, reason="Fever")
    assert len(absence_titles(guardian)) == 1
    assert len(mailoutbox) == 1


def test_it_does_not_correct_an_absence_nobody_was_told_about(
    school, register, teacher, guardian, django_capture_on_commit_callbacks
):
    policy = AttendancePolicy.load()
    policy.notify_absences = False
    policy.save()
    mark(register, school.child, "absent", teacher)
    submit(register, teacher, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        mark(register, school.child, "present", teacher)
    assert absence_titles(guardian) == []
    assert not Delivery.objects.exists()


def test_it_tells_about_an_absence_marked_after_the_register_was_submitted(
    school, register, teacher, guardian, django_capture_on_commit_callbacks
):
    submit(register, teacher, django_capture_on_commit_callbacks)
    assert absence_titles(guardian) == []
    with django_capture_on_commit_callbacks(execute=True):
        mark(register, school.child, "absent", teacher)
    assert absence_titles(guardian)[0].startswith("Sam was absent on")


def test_it_leaves_out_guardians_who_do_not_receive_notifications(
    school, register, teacher, guardian, django_capture_on_commit_callbacks, mailoutbox
):
    GuardianLink.objects.filter(guardian=school.guardian_profile).update(receives_notifications=False)
    second = f.GuardianFactory(first_name="Gus", email="gus@school.test", phone="")
    f.GuardianLinkFactory(student=school.child, guardian=second, is_primary=False)
    mark(register, school.child, "absent", teacher)
    submit(register, teacher, django_capture_on_commit_callbacks)
    assert absence_titles(guardian) == []
    # A guardian without a login is reached by the email the school holds.
    assert [message.to for message in mailoutbox] == [["gus@school.test"]]


def test_it_follows_the_schools_choice_not_to_tell_guardians(
    school, register, teacher, guardian, django_capture_on_commit_callbacks, mailoutbox
):
    policy = AttendancePolicy.load()
    policy.notify_absences = False
    policy.save()
    mark(register, school.child, "absent", teacher)
    submit(register, teacher, django_capture_on_commit_callbacks)
    assert absence_titles(guardian) == []
    assert mailoutbox == []
    assert AttendanceRecord.objects.get(student=school.child).absence_notified_at is None


def test_it_writes_in_the_guardians_language(
    school, register, teacher, guardian, django_capture_on_commit_callbacks
):
    guardian.language = "es"
    guardian.save()
    mark(register, school.child, "absent", teacher)
    submit(register, teacher, django_capture_on_commit_callbacks)
    assert "faltó" in absence_titles(guardian)[0]


def test_it_names_the_lesson_for_a_lesson_register(
    school, teacher, guardian, django_capture_on_commit_callbacks
):
    period = f.PeriodFactory(name="Period 2")
    register = f.RegisterFactory(
        kind="lesson",
        section=school.section,
        offering=school.offering,
        period=period,
        date=timezone.localdate(),
    )
    mark(register, school.child, "absent", teacher)
    submit(register, teacher, django_capture_on_commit_callbacks)
    body = Notification.objects.get(recipient=guardian).body
    assert "(Mathematics, Period 2)" in body


def test_it_does_not_query_per_guardian(school, register, teacher, admin):
    mark(register, school.child, "absent", teacher)
    register_submit(register=register, by=teacher)
    AttendanceRecord.objects.update(absence_notified_at=None)
    with CaptureQueriesContext(connection) as one_guardian:
        absences_notify(register_id=register.pk)
    for number in range(4):
        user = f.UserFactory(email=f"extra{number}@school.test")
        f.GuardianLinkFactory(
            student=school.child, guardian=f.GuardianFactory(user=user, email=user.email), is_primary=False
        )
    Notification.objects.all().delete()
    Delivery.objects.all().delete()
    AttendanceRecord.objects.update(absence_notified_at=None)
    with CaptureQueriesContext(connection) as five_guardians:
        assert absences_notify(register_id=register.pk) == 1
    assert Notification.objects.count() == 5
    assert len(five_guardians) <= len(one_guardian)
