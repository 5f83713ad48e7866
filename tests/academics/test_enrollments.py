from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from modules.academics.events import enrollment_ended, enrollments_created
from modules.academics.models import Enrollment, EnrollmentStatus
from modules.core.models import AuditEvent
from tests import factories as f

LIST = reverse("academics:enrollment_list")


def _roster(school):
    return reverse("academics:section_roster", args=[school.section.pk])


def test_it_shows_sections_with_counts_and_students_waiting(office, school):
    waiting = f.StudentFactory(first_name="Wanda", last_name="Waiting")
    f.StudentFactory(first_name="Ina", last_name="Inactive", is_active=False)
    response = office.get(LIST)
    page = response.content.decode()
    assert list(response.context["unenrolled"]) == [waiting]
    assert "Wanda Waiting" in page
    assert "Ina Inactive" not in page
    assert {s.name: s.student_count for s in response.context["sections"]} == {"7A": 1, "7B": 1}


def test_it_counts_students_enrolled_in_another_year_as_waiting(office, school):
    old = f.AcademicYearFactory(start_date=datetime.date(2001, 8, 1), is_current=False)
    former = f.StudentFactory(first_name="Fay", last_name="Former")
    f.EnrollmentFactory(student=former, section=f.SectionFactory(year=old))
    assert list(office.get(LIST).context["unenrolled"]) == [former]
    assert list(office.get(LIST, {"year": old.pk}).context["unenrolled"]) == [
        school.other_child,
        school.child,
    ]


def test_it_answers_htmx_with_the_results_fragment(office, school):
    response = office.get(LIST, headers={"HX-Request": "true"})
    assert "7A" in response.content.decode()
    assert "<html" not in response.content.decode()


def test_it_lists_enrollments_in_a_fixed_number_of_queries(office, school, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):
        office.get(LIST)
    f.StudentFactory.create_batch(10)
    f.EnrollmentFactory.create_batch(10, section=school.other_section)
    with django_assert_max_num_queries(9):
        office.get(LIST)


def test_it_shows_the_roster_and_the_students_who_could_join(office, school):
    waiting = f.StudentFactory(first_name="Wanda", last_name="Waiting")
    response = office.get(_roster(school))
    assert [e.student for e in response.context["roster"]] == [school.child]
    assert list(response.context["candidates"]) == [waiting]
    assert 'name="students"' in response.content.decode()


def test_it_searches_the_students_who_could_join(office, school):
    f.StudentFactory(first_name="Wanda", last_name="Waiting")
    f.StudentFactory(first_name="Zed", last_name="Zulu")
    response = office.get(_roster(school), {"q": "zul"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "Zed Zulu" in page
    assert "Wanda" not in page
    assert "<html" not in page


def test_it_shows_the_roster_in_a_fixed_number_of_queries(office, school, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):
        office.get(_roster(school))
    f.EnrollmentFactory.create_batch(10, section=school.section)
    f.StudentFactory.create_batch(10)
    with django_assert_max_num_queries(9):
        office.get(_roster(school))


def test_it_adds_several_students_at_once(office, school, admin):
    first, second = f.StudentFactory.create_batch(2)
    response = office.post(_roster(school), {"students": [first.pk, second.pk]}, follow=True)
    assert "2 students added to 7A." in response.content.decode()
    assert set(Enrollment.objects.filter(section=school.section).values_list("student", flat=True)) == {
        school.child.pk,
        first.pk,
        second.pk,
    }
    assert AuditEvent.objects.filter(action="enrollment.create", actor=admin).count() == 2


def test_it_asks_for_at_least_one_student(office, school):
    response = office.post(_roster(school), {})
    assert "Tick at least one student to add." in response.content.decode()


def test_it_refuses_a_student_who_already_has_a_section_and_adds_nobody(office, school):
    newcomer = f.StudentFactory()
    response = office.post(_roster(school), {"students": [newcomer.pk, school.other_child.pk]})
    assert response.status_code == 200
    assert "no longer waiting for a section" in response.content.decode()
    assert not Enrollment.objects.filter(student=newcomer).exists()


def test_it_refuses_more_students_than_the_section_holds(office, school):
    school.section.capacity = 2
    school.section.save()
    students = f.StudentFactory.create_batch(3)
    response = office.post(_roster(school), {"students": [s.pk for s in students]})
    assert "7A has room for 1 more students (capacity 2); you ticked 3." in response.content.decode()
    assert Enrollment.objects.filter(section=school.section).count() == 1


def test_it_withdraws_a_student(office, school, admin):
    enrollment = school.child.enrollments.get()
    url = reverse("academics:enrollment_withdraw", args=[school.section.pk, enrollment.pk])
    response = office.post(url, follow=True)
    assert "Sam Parent was withdrawn from 7A." in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.WITHDRAWN
    assert enrollment.ended_on == timezone.localdate()  # the day it ended, for the census
    event = AuditEvent.objects.get(action="enrollment.withdraw")
    assert event.actor == admin
    assert event.before == {"status": "active"}
    assert event.after == {"status": "withdrawn", "ended_on": timezone.localdate().isoformat()}


def test_it_withdraws_only_by_post_from_the_right_section(office, school):
    enrollment = school.child.enrollments.get()
    assert (
        office.get(
            reverse("academics:enrollment_withdraw", args=[school.section.pk, enrollment.pk])
        ).status_code
        == 405
    )
    wrong = reverse("academics:enrollment_withdraw", args=[school.other_section.pk, enrollment.pk])
    assert office.post(wrong).status_code == 404
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE


def test_it_refuses_teachers_the_roster_actions(as_user, school, teacher):
    enrollment = school.child.enrollments.get()
    client = as_user(teacher)
    assert client.get(_roster(school)).status_code == 403
    assert (
        client.post(
            reverse("academics:enrollment_withdraw", args=[school.section.pk, enrollment.pk])
        ).status_code
        == 403
    )
    assert client.post(_roster(school), {"students": [f.StudentFactory().pk]}).status_code == 403


def test_it_moves_a_student_to_another_section(office, school, admin):
    enrollment = school.child.enrollments.get()
    url = reverse("academics:enrollment_move", args=[school.section.pk, enrollment.pk])
    response = office.post(url, {"section": school.other_section.pk}, follow=True)
    assert "Sam Parent moved to 7B." in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.section == school.other_section
    assert AuditEvent.objects.filter(
        action="enrollment.move", actor=admin, object_id=str(enrollment.pk)
    ).exists()


def test_it_refuses_a_move_to_another_years_section(office, school):
    other_year = f.AcademicYearFactory(start_date=datetime.date(2001, 8, 1), is_current=False)
    elsewhere = f.SectionFactory(year=other_year)
    enrollment = school.child.enrollments.get()
    url = reverse("academics:enrollment_move", args=[school.section.pk, enrollment.pk])
    response = office.post(url, {"section": elsewhere.pk}, follow=True)
    assert "Choose another section of the same year" in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.section == school.section


def test_it_does_not_move_a_withdrawn_student(office, school):
    enrollment = school.child.enrollments.get()
    enrollment.status = EnrollmentStatus.WITHDRAWN
    enrollment.save()
    url = reverse("academics:enrollment_move", args=[school.section.pk, enrollment.pk])
    response = office.post(url, {"section": school.other_section.pk}, follow=True)
    assert "Only active students can be moved." in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.section == school.section


@pytest.fixture
def announced():
    """The enrolment events academics sent, in order: (event name, arguments)."""
    heard: list[tuple[str, dict]] = []

    def listen(sender, signal, **arguments):
        heard.append((signal.name, arguments))

    for event in (enrollments_created, enrollment_ended):
        event.connect(listen, dispatch_uid="tests.announced")
    yield heard
    for event in (enrollments_created, enrollment_ended):
        event.disconnect(dispatch_uid="tests.announced")


def test_it_announces_students_added_together_in_one_event_after_commit(
    office, school, admin, announced, django_capture_on_commit_callbacks
):
    first, second = f.StudentFactory.create_batch(2)
    with django_capture_on_commit_callbacks(execute=True):
        office.post(_roster(school), {"students": [first.pk, second.pk]})
        assert announced == []  # not before the request's transaction commits
    ids = set(Enrollment.objects.filter(student__in=[first, second]).values_list("pk", flat=True))
    assert [(name, set(args["enrollment_ids"]), args["by"]) for name, args in announced] == [
        ("academics.enrollments_created", ids, admin)
    ]


def test_it_announces_nothing_when_the_section_refuses_the_students(
    office, school, announced, django_capture_on_commit_callbacks
):
    school.section.capacity = 1
    school.section.save()
    with django_capture_on_commit_callbacks(execute=True):
        office.post(_roster(school), {"students": [s.pk for s in f.StudentFactory.create_batch(2)]})
    assert announced == []


def test_it_announces_a_withdrawal_and_not_a_move(
    office, school, admin, announced, django_capture_on_commit_callbacks
):
    enrollment = school.child.enrollments.get()
    with django_capture_on_commit_callbacks(execute=True):
        office.post(
            reverse("academics:enrollment_move", args=[school.section.pk, enrollment.pk]),
            {"section": school.other_section.pk},
        )
    assert announced == []
    with django_capture_on_commit_callbacks(execute=True):
        office.post(reverse("academics:enrollment_withdraw", args=[school.other_section.pk, enrollment.pk]))
    assert announced == [
        (
            "academics.enrollment_ended",
            {"enrollment_id": enrollment.pk, "status": EnrollmentStatus.WITHDRAWN, "by": admin},
        )
    ]
