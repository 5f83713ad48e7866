"""The office states each class's requirement: per section with a quick edit per class, a class's whole
requirement, and what is refused (modules/timetable/views_requirements.py, requirements.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from modules.core.models import AuditEvent
from modules.timetable.models import JointLesson, Requirement
from tests import factories as f
from tests.timetable.requirements_school import lab_and_classroom, school_week

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(school):
    return school_week(school)


def _quick(client, offering, periods, doubles, *, htmx=True):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(
        reverse("timetable:requirement_quick", args=[offering.pk]),
        {f"q{offering.pk}-periods_per_week": periods, f"q{offering.pk}-double_lessons": doubles},
        headers=headers,
    )


def test_it_lists_each_section_with_its_periods_against_the_week(as_user, admin, school, week):
    Requirement.objects.create(offering=school.offering, periods_per_week=4)
    page = as_user(admin).get(reverse("timetable:requirements")).content.decode()
    assert "5 teaching days × 5 periods = 25 periods a week" in page
    assert "4 of 25" in page
    assert "0 of 25" in page  # 7B states nothing yet
    assert "No contradictions found" in page


def test_it_shows_a_section_over_its_week_in_words(as_user, admin, school):
    school_week(school, periods=1)  # 5 teaching periods a week
    Requirement.objects.create(offering=school.offering, periods_per_week=6)
    page = as_user(admin).get(reverse("timetable:requirements")).content.decode()
    assert "6 of 5 — too many" in page
    assert "7A has 6 lessons but the week has 5 periods." in page


def test_it_shows_a_sections_classes_with_their_requirements(as_user, admin, school, week):
    lab, _room, _lab_room = lab_and_classroom()
    Requirement.objects.create(offering=school.offering, periods_per_week=5, double_lessons=1, room_type=lab)
    science = f.CourseOfferingFactory(
        subject=f.SubjectFactory(name="Science"), section=school.section, teacher=None
    )
    response = as_user(admin).get(reverse("timetable:requirements_section", args=[school.section.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Mathematics" in page
    assert "any Laboratory" in page
    assert "Science" in page
    assert "no teacher" in page
    assert "5 periods a week of 25 teaching periods." in page
    assert f'name="q{science.pk}-periods_per_week"' in page


def test_it_saves_a_quick_edit_and_answers_htmx_with_the_row_total_and_precheck(as_user, admin, school, week):
    response = _quick(as_user(admin), school.offering, 6, 2)
    page = response.content.decode()
    requirement = Requirement.objects.get(offering=school.offering)
    assert (requirement.periods_per_week, requirement.double_lessons) == (6, 2)
    assert f'id="class-{school.offering.pk}"' in page
    assert "Saved" in page
    assert 'id="section-total"' in page
    assert "6 periods a week of 25" in page
    assert 'id="precheck"' in page
    assert 'hx-swap-oob="outerHTML"' in page
    assert response.headers["Vary"].count("HX-Request") == 1
    assert AuditEvent.objects.filter(action="timetable.requirement").count() == 1


def test_it_saves_a_quick_edit_without_javascript_and_returns_to_the_section(as_user, admin, school, week):
    response = _quick(as_user(admin), school.offering, 3, 0, htmx=False)
    assert response.status_code == 302
    assert response.url == reverse("timetable:requirements_section", args=[school.section.pk])
    assert Requirement.objects.get(offering=school.offering).periods_per_week == 3


def test_it_refuses_more_doubles_than_the_periods_hold(as_user, admin, school, week):
    page = _quick(as_user(admin), school.offering, 3, 2).content.decode()
    assert "2 double periods take 4 periods, more than the 3 a week." in page
    assert not Requirement.objects.exists()


def test_it_keeps_the_rest_of_the_requirement_on_a_quick_edit(as_user, admin, school, week):
    lab, _room, _lab_room = lab_and_classroom()
    requirement = Requirement.objects.create(
        offering=school.offering, periods_per_week=4, room_type=lab, prefer_early=True
    )
    requirement.co_teachers.add(school.other_teacher_staff)
    _quick(as_user(admin), school.offering, 5, 1)
    requirement.refresh_from_db()
    assert (requirement.periods_per_week, requirement.room_type, requirement.prefer_early) == (5, lab, True)
    assert list(requirement.co_teachers.all()) == [school.other_teacher_staff]


def test_it_saves_a_whole_requirement(as_user, admin, school, week):
    lab, _room, _lab_room = lab_and_classroom()
    response = as_user(admin).post(
        reverse("timetable:requirement_edit", args=[school.offering.pk]),
        {
            "periods_per_week": 4,
            "double_lessons": 1,
            "room_type": lab.pk,
            "co_teachers": [school.other_teacher_staff.pk],
            "prefer_early": "on",
        },
    )
    assert response.status_code == 302
    requirement = Requirement.objects.get(offering=school.offering)
    assert (requirement.double_lessons, requirement.room_type, requirement.prefer_early) == (1, lab, True)
    assert list(requirement.co_teachers.all()) == [school.other_teacher_staff]


def test_it_refuses_a_room_and_a_kind_of_room_together(as_user, admin, school, week):
    lab, room, _lab_room = lab_and_classroom()
    response = as_user(admin).post(
        reverse("timetable:requirement_edit", args=[school.offering.pk]),
        {"periods_per_week": 4, "double_lessons": 0, "room": room.pk, "room_type": lab.pk},
    )
    assert response.status_code == 400
    assert "Choose a room or a kind of room, not both." in response.content.decode()
    assert not Requirement.objects.exists()


def test_it_refuses_a_room_that_does_not_exist(as_user, admin, school, week):
    response = as_user(admin).post(
        reverse("timetable:requirement_edit", args=[school.offering.pk]),
        {"periods_per_week": 4, "double_lessons": 0, "room": 99999},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Requirement.objects.exists()


def test_it_refuses_a_teacher_who_left_as_co_teacher(as_user, admin, school, week):
    gone = f.StaffFactory(is_active=False)
    response = as_user(admin).post(
        reverse("timetable:requirement_edit", args=[school.offering.pk]),
        {"periods_per_week": 4, "double_lessons": 0, "co_teachers": [gone.pk]},
    )
    assert response.status_code == 400
    assert not Requirement.objects.exists()


def test_it_refuses_the_classes_own_teacher_as_co_teacher(as_user, admin, school, week):
    response = as_user(admin).post(
        reverse("timetable:requirement_edit", args=[school.offering.pk]),
        {"periods_per_week": 4, "double_lessons": 0, "co_teachers": [school.teacher_staff.pk]},
    )
    assert "The class&#x27;s own teacher cannot also be its co-teacher." in response.content.decode()
    assert not Requirement.objects.exists()


def test_it_refuses_counts_that_differ_from_the_joint_lessons_other_classes(as_user, admin, school, week):
    joint = JointLesson.objects.create(year=school.year, name="PE 7")
    Requirement.objects.create(offering=school.other_offering, periods_per_week=2, joint=joint)
    Requirement.objects.create(offering=school.offering, periods_per_week=2, joint=joint)
    page = _quick(as_user(admin), school.offering, 3, 0).content.decode()
    assert "The joint lesson PE 7 has History · 7B with 2 periods a week and 0 doubles" in page
    assert Requirement.objects.get(offering=school.offering).periods_per_week == 2


def test_it_removes_a_requirement(as_user, admin, school, week):
    Requirement.objects.create(offering=school.offering, periods_per_week=2)
    response = as_user(admin).post(reverse("timetable:requirement_delete", args=[school.offering.pk]))
    assert response.status_code == 302
    assert not Requirement.objects.exists()


def test_it_answers_404_for_a_class_or_section_of_another_year(as_user, admin, school, week):
    old_year = f.AcademicYearFactory(
        name="2001/2002", is_current=False, start_date="2001-08-15", end_date="2002-07-15"
    )
    old = f.CourseOfferingFactory(section=f.SectionFactory(year=old_year, name="Old 7A"))
    client = as_user(admin)
    assert client.get(reverse("timetable:requirements_section", args=[old.section.pk])).status_code == 404
    assert client.get(reverse("timetable:requirement_edit", args=[old.pk])).status_code == 404
    assert _quick(client, old, 2, 0).status_code == 404
    assert client.post(reverse("timetable:requirement_delete", args=[school.offering.pk])).status_code == 404


def test_it_refuses_other_methods_and_roles(as_user, admin, teacher, school, week):
    client = as_user(admin)
    assert client.get(reverse("timetable:requirement_quick", args=[school.offering.pk])).status_code == 405
    assert client.post(reverse("timetable:requirements")).status_code == 405
    teacher_client = as_user(teacher)
    assert (
        teacher_client.get(reverse("timetable:requirements_section", args=[school.section.pk])).status_code
        == 403
    )
    assert _quick(teacher_client, school.offering, 2, 0).status_code == 403
    assert not Requirement.objects.exists()


def test_it_draws_a_section_in_as_many_queries_whatever_its_classes(
    as_user, admin, school, week, django_assert_num_queries
):
    client = as_user(admin)
    url = reverse("timetable:requirements_section", args=[school.section.pk])
    Requirement.objects.create(offering=school.offering, periods_per_week=2)
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(4):
        offering = f.CourseOfferingFactory(
            subject=f.SubjectFactory(name=f"Extra {n}"), section=school.section
        )
        requirement = Requirement.objects.create(offering=offering, periods_per_week=2)
        requirement.co_teachers.add(school.other_teacher_staff)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_it_draws_a_section_in_a_pinned_number_of_queries(as_user, admin, school, week, queries_exactly):
    client = as_user(admin)
    Requirement.objects.create(offering=school.offering, periods_per_week=2)
    url = reverse("timetable:requirements_section", args=[school.section.pk])
    client.get(url)
    # The user, the year, the section, the week (settings, their periods, else all periods), the section's
    # total, the precheck (requirements with their teachers, co-teachers, candidates and pins; unavailable
    # periods; section sizes; rooms; teachers' limits), the classes with their requirements, the unread
    # notifications of the navigation.
    with queries_exactly(20):
        client.get(url)
