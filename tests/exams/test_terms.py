"""Term results (office): publish all term results (families told once per term), lock and unlock."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from modules.communications.models import Notification
from modules.core.models import AuditEvent
from modules.exams.models import Assessment, TermStatus
from tests import factories as f

pytestmark = pytest.mark.django_db


def _grades_notices(user):
    return Notification.objects.filter(recipient=user, kind="grades_published")


def test_it_publishes_every_assessment_of_the_term_and_tells_each_family_once(
    as_user, admin, guardian, student, other_guardian, school, django_capture_on_commit_callbacks
):
    draft = f.AssessmentFactory(offering=school.offering, term=school.term, name="Unit test")
    other = f.AssessmentFactory(offering=school.other_offering, term=school.term, name="Essay")
    already = f.AssessmentFactory(
        offering=school.offering, term=school.term, name="Old quiz", published_at=timezone.now()
    )
    later_term = f.TermFactory(
        year=school.year, name="Term 2", start_date=school.year.start_date, end_date=school.year.end_date
    )
    untouched = f.AssessmentFactory(offering=school.offering, term=later_term)
    client = as_user(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("exams:term_publish", args=[school.term.pk]), follow=True)
    assert "Term 1 results are published (2 more assessments made visible)" in response.text
    status = TermStatus.objects.get(term=school.term)
    assert status.results_published_at is not None
    assert Assessment.objects.get(pk=draft.pk).published_at is not None
    assert Assessment.objects.get(pk=other.pk).published_at is not None
    assert Assessment.objects.get(pk=already.pk).published_at == already.published_at
    assert Assessment.objects.get(pk=untouched.pk).published_at is None
    notice = _grades_notices(guardian).get()
    assert "Sam" in notice.title
    assert "Term 1" in notice.body
    assert notice.url == reverse("exams:child_grades", args=[school.child.pk])
    assert _grades_notices(student).count() == 1
    assert _grades_notices(other_guardian).count() == 1
    assert AuditEvent.objects.filter(action="term.publish", object_id=str(school.term.pk)).exists()

    # Publishing again (a late assessment) makes it visible but tells nobody a second time.
    late = f.AssessmentFactory(offering=school.offering, term=school.term, name="Late")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("exams:term_publish", args=[school.term.pk]))
    assert Assessment.objects.get(pk=late.pk).published_at is not None
    assert TermStatus.objects.get(term=school.term).results_published_at == status.results_published_at
    assert _grades_notices(guardian).count() == 1
    assert _grades_notices(student).count() == 1


def test_it_locks_and_unlocks_a_term_with_a_reason_audited(as_user, admin, school):
    client = as_user(admin)
    response = client.post(reverse("exams:term_lock", args=[school.term.pk]), follow=True)
    assert "Term 1 is locked" in response.text
    status = TermStatus.objects.get(term=school.term)
    assert status.locked_at is not None
    assert status.locked_by == admin
    assert AuditEvent.objects.get(action="term.lock").after == {"locked": True}
    assert "Unlock the term" in client.get(reverse("exams:term_list")).text

    response = client.post(reverse("exams:term_lock", args=[school.term.pk]), follow=True)
    assert "already locked" in response.text

    response = client.post(reverse("exams:term_unlock", args=[school.term.pk]), {"reason": ""}, follow=True)
    assert "Give a reason for unlocking the term." in response.text
    assert TermStatus.objects.get(term=school.term).locked_at is not None

    response = client.post(
        reverse("exams:term_unlock", args=[school.term.pk]), {"reason": "Marks entered wrongly"}, follow=True
    )
    assert "Term 1 is unlocked." in response.text
    assert TermStatus.objects.get(term=school.term).locked_at is None
    assert AuditEvent.objects.get(action="term.unlock").reason == "Marks entered wrongly"


def test_it_lists_the_terms_with_their_state_in_bounded_queries(
    as_user, admin, school, django_assert_max_num_queries
):
    client = as_user(admin)
    f.AssessmentFactory(offering=school.offering, term=school.term)
    client.get(reverse("exams:term_list"))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("exams:term_list"))
    assert "Publish all term results" in response.text
    assert "1 not published" in response.text
    for n in range(2, 5):
        term = f.TermFactory(year=school.year, name=f"Term {n}")
        TermStatus.objects.create(term=term, locked_at=timezone.now(), locked_by=admin)
        f.AssessmentFactory(offering=school.offering, term=term)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("exams:term_list"))
    assert "Term 4" in response.text


def test_it_refuses_other_roles_wrong_methods_and_unknown_terms(as_user, admin, teacher, guardian, school):
    assert as_user(teacher).post(reverse("exams:term_lock", args=[school.term.pk])).status_code == 403
    assert as_user(guardian).post(reverse("exams:term_publish", args=[school.term.pk])).status_code == 403
    assert as_user(teacher).get(reverse("exams:term_list")).status_code == 403
    client = as_user(admin)
    assert client.get(reverse("exams:term_publish", args=[school.term.pk])).status_code == 405
    assert client.get(reverse("exams:term_lock", args=[school.term.pk])).status_code == 405
    assert client.post(reverse("exams:term_lock", args=[school.term.pk + 99])).status_code == 404
    assert not TermStatus.objects.exists()
