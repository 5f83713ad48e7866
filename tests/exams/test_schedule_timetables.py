"""Who sees which exam timetable: staff the full period (filtered, printable), students their own sections,
guardians each child's; unpublished periods stay hidden from families and from staff outside the office."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from tests import factories as f
from tests.exams.test_schedule import make_period, make_slot

pytestmark = pytest.mark.django_db


def test_it_shows_a_student_only_their_own_sections_exams(as_user, student, school):
    period = make_period(school, published=True)
    maths = school.offering.subject
    make_slot(period, [school.section], subject=maths, room=f.RoomFactory(name="Hall"))
    make_slot(period, [school.other_section], start=(13, 0))  # History for 7B only
    response = as_user(student).get(reverse("exams:exam_timetable"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Sam Parent" in page
    assert "Mathematics" in page
    assert "Hall" in page
    assert "History" not in page


def test_it_hides_unpublished_periods_from_families(as_user, student, guardian, school):
    period = make_period(school, published=False)
    make_slot(period, [school.section], subject=school.offering.subject)
    for user in (student, guardian):
        page = as_user(user).get(reverse("exams:exam_timetable")).content.decode()
        assert "Mathematics" not in page
        assert "No exams are scheduled yet." in page


def test_it_labels_each_of_a_guardians_children(as_user, guardian, school):
    period = make_period(school, published=True)
    sibling = f.StudentFactory(first_name="Kim", last_name="Parent")
    f.EnrollmentFactory(student=sibling, section=school.other_section)
    f.GuardianLinkFactory(student=sibling, guardian=school.guardian_profile, is_primary=False)
    make_slot(period, [school.section], subject=school.offering.subject)
    make_slot(period, [school.other_section], start=(13, 0))
    response = as_user(guardian).get(reverse("exams:exam_timetable"))
    timetables = {
        t.student.full_name: [s.subject.name for s in t.slots] for t in response.context["timetables"]
    }
    assert timetables == {"Kim Parent": ["History"], "Sam Parent": ["Mathematics"]}
    page = response.content.decode()
    assert "Kim Parent" in page
    assert "(7B)" in page
    assert "(7A)" in page


def test_it_filters_to_one_child_and_hides_another_familys(as_user, guardian, school):
    url = reverse("exams:exam_timetable")
    client = as_user(guardian)
    assert client.get(f"{url}?child={school.child.pk}").status_code == 200
    assert client.get(f"{url}?child={school.other_child.pk}").status_code == 404
    assert client.get(f"{url}?child=nope").status_code == 404
    assert (
        client.get(f"{reverse('exams:exam_timetable_pdf')}?child={school.other_child.pk}").status_code == 404
    )


def test_it_refuses_the_family_timetable_to_staff_only_logins(as_user, teacher, school):
    assert as_user(teacher).get(reverse("exams:exam_timetable")).status_code == 403


def test_it_prints_the_family_timetable_as_a_pdf(as_user, guardian, school):
    period = make_period(school, published=True)
    make_slot(period, [school.section], subject=school.offering.subject)
    response = as_user(guardian).get(reverse("exams:exam_timetable_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "attachment" in response["Content-Disposition"]


def test_it_answers_405_to_a_post(as_user, student, school):
    assert as_user(student).post(reverse("exams:exam_timetable")).status_code == 405


def test_it_shows_staff_the_full_timetable_with_filters(as_user, teacher, school):
    period = make_period(school, published=True)
    hall, lab = f.RoomFactory(name="Hall"), f.RoomFactory(name="Lab")
    make_slot(period, [school.section], subject=school.offering.subject, room=hall)
    make_slot(period, [school.other_section], start=(13, 0), room=lab, invigilator=school.other_teacher_staff)
    url = reverse("exams:schedule_period", kwargs={"pk": period.pk})
    client = as_user(teacher)
    page = client.get(url).content.decode()
    assert "Mathematics" in page
    assert "History" in page
    assert "Add an exam" not in page  # teachers read, the office edits
    filtered = client.get(url, {"room": lab.pk})
    assert [s.subject.name for s in filtered.context["slots"]] == ["History"]
    filtered = client.get(url, {"section": school.section.pk})
    assert [s.subject.name for s in filtered.context["slots"]] == ["Mathematics"]
    filtered = client.get(url, {"invigilator": school.other_teacher_staff.pk})
    assert [s.subject.name for s in filtered.context["slots"]] == ["History"]
    partial = client.get(url, {"room": hall.pk}, headers={"HX-Request": "true"})
    assert b"<html" not in partial.content
    assert b"Mathematics" in partial.content


def test_it_hides_a_draft_period_from_staff_outside_the_office(as_user, admin, teacher, school):
    period = make_period(school, published=False)
    url = reverse("exams:schedule_period", kwargs={"pk": period.pk})
    assert as_user(teacher).get(url).status_code == 404
    page = as_user(admin).get(url).content.decode()
    assert "Add an exam" in page
    assert "draft" in page


def test_it_prints_the_staff_timetable_as_a_pdf(as_user, admin, school):
    period = make_period(school, published=True)
    make_slot(period, [school.section], subject=school.offering.subject)
    response = as_user(admin).get(reverse("exams:schedule_period_pdf", kwargs={"pk": period.pk}))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")


def test_it_keeps_the_queries_flat_as_exams_grow(as_user, admin, school, django_assert_max_num_queries):
    period = make_period(school, published=True, days=10)
    client = as_user(admin)
    url = reverse("exams:schedule_period", kwargs={"pk": period.pk})

    def add(count, offset):
        for n in range(count):
            room = f.RoomFactory()
            make_slot(
                period,
                [school.section, school.other_section],
                subject=f.SubjectFactory(),
                date=period.start_date + datetime.timedelta(days=offset + n),
                room=room,
                invigilator=school.teacher_staff,
            )

    add(2, 0)
    with django_assert_max_num_queries(16):
        client.get(url)
    add(6, 2)
    with django_assert_max_num_queries(16):
        assert len(client.get(url).context["slots"]) == 8


def test_it_lists_periods_for_staff_only(as_user, admin, teacher, guardian, school):
    make_period(school, published=False)
    assert "Midterms" in as_user(admin).get(reverse("exams:schedule_periods")).content.decode()
    assert "Midterms" not in as_user(teacher).get(reverse("exams:schedule_periods")).content.decode()
    assert as_user(guardian).get(reverse("exams:schedule_periods")).status_code == 403
