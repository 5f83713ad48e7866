"""Publishing one assessment tells the class's students and their guardians, once, naming each child."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from modules.communications.models import Notification
from modules.exams.publishing import assessment_published_notify
from modules.exams.services import assessment_publish
from modules.people.models import GuardianLink
from tests import factories as f

pytestmark = pytest.mark.django_db


def _notices(**filters):
    return Notification.objects.filter(kind="grades_published", **filters)


def test_it_tells_the_student_and_guardians_who_receive_notifications(
    admin, guardian, student, other_guardian, school, django_capture_on_commit_callbacks
):
    quiet = f.GuardianFactory(user=f.UserFactory(email="quiet@school.test"))
    f.GuardianLinkFactory(
        student=school.child, guardian=quiet, is_primary=False, receives_notifications=False
    )
    assessment = f.AssessmentFactory(offering=school.offering, term=school.term, name="Fractions test")
    with django_capture_on_commit_callbacks(execute=True):
        assert assessment_publish(assessment=assessment, by=admin)
    notice = _notices(recipient=guardian).get()
    assert "Mathematics: Fractions test" in notice.body
    assert "Sam" in notice.body
    assert notice.url == reverse("exams:child_grades", args=[school.child.pk])
    assert _notices(recipient=student).count() == 1
    assert not _notices(recipient=quiet.user).exists()
    assert not _notices(recipient=other_guardian).exists()  # Olive is in 7B, not in this class

    # Running the task again (a retry) tells nobody twice.
    assert assessment_published_notify(assessment_id=assessment.pk) == 1
    assert _notices(recipient=guardian).count() == 1


def test_it_names_each_child_for_a_guardian_of_two_in_the_class(guardian, school):
    sibling = f.StudentFactory(first_name="Ruby", last_name="Parent")
    f.EnrollmentFactory(student=sibling, section=school.section)
    f.GuardianLinkFactory(student=sibling, guardian=school.guardian_profile, is_primary=True)
    assessment = f.AssessmentFactory(
        offering=school.offering, term=school.term, published_at="2026-01-01T10:00Z"
    )
    assert assessment_published_notify(assessment_id=assessment.pk) == 2
    bodies = sorted(_notices(recipient=guardian).values_list("body", flat=True))
    assert len(bodies) == 2
    assert any("Ruby" in body for body in bodies)
    assert any("Sam" in body for body in bodies)


def test_it_does_nothing_for_an_unpublished_assessment(guardian, school):
    assessment = f.AssessmentFactory(offering=school.offering, term=school.term)
    assert assessment_published_notify(assessment_id=assessment.pk) == 0
    assert not Notification.objects.exists()


def _class_of(size: int, guardians_each: int, section):
    for _n in range(size):
        child = f.StudentFactory()
        f.EnrollmentFactory(student=child, section=section)
        for g in range(guardians_each):
            f.GuardianLinkFactory(student=child, guardian=f.GuardianFactory(), is_primary=g == 0)


def test_it_runs_no_query_per_guardian(school):
    def queries_for(guardians_each: int) -> int:
        section = f.SectionFactory(year=school.year, grade_level=school.section.grade_level)
        offering = f.CourseOfferingFactory(subject=school.offering.subject, section=section)
        _class_of(4, guardians_each, section)
        assessment = f.AssessmentFactory(
            offering=offering, term=school.term, published_at="2026-01-01T10:00Z"
        )
        with CaptureQueriesContext(connection) as captured:
            assert assessment_published_notify(assessment_id=assessment.pk) == 4
        return len(captured)

    queries_for(1)  # warms the school profile cache
    one_each = queries_for(1)
    three_each = queries_for(3)
    assert three_each == one_each
    assert GuardianLink.objects.count() >= 16
