from __future__ import annotations

from django.urls import reverse

from modules.academics.models import CourseOffering
from tests import factories as f

LIST = reverse("academics:offering_list")


def test_it_lists_this_years_classes(office, school):
    response = office.get(LIST)
    page = response.content.decode()
    assert "Mathematics" in page
    assert school.other_offering.subject.name in page
    assert "Tom Teach" in page
    assert reverse("academics:offering_edit", args=[school.offering.pk]) in page


def test_it_filters_by_section_subject_and_teacher(office, school):
    def shown(**params):
        return [row.record for row in office.get(LIST, params).context["table"].rows]

    assert shown(section=school.other_section.pk) == [school.other_offering]
    assert shown(subject=school.offering.subject_id) == [school.offering]
    assert shown(teacher=school.other_teacher_staff.pk) == [school.other_offering]


def test_it_answers_htmx_with_the_results_fragment(office, school):
    response = office.get(LIST, {"section": school.section.pk}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "Mathematics" in page
    assert school.other_offering.subject.name not in page
    assert "<html" not in page
    assert "HX-Request" in response["Vary"]


def test_it_lists_classes_in_a_fixed_number_of_queries(office, school, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        office.get(LIST)
    for _ in range(10):
        f.CourseOfferingFactory(section=school.section)
    with django_assert_max_num_queries(10):
        office.get(LIST)


def test_it_creates_a_class(office, school):
    data = {
        "subject": school.other_offering.subject_id,
        "section": school.section.pk,
        "teacher": school.teacher_staff.pk,
    }
    response = office.post(reverse("academics:offering_create"), data)
    assert response.status_code == 302
    assert CourseOffering.objects.filter(section=school.section).count() == 2


def test_it_refuses_the_same_subject_twice_in_a_section(office, school):
    data = {
        "subject": school.offering.subject_id,
        "section": school.section.pk,
        "teacher": school.other_teacher_staff.pk,
    }
    response = office.post(reverse("academics:offering_create"), data)
    page = response.content.decode()
    assert "7A already has Mathematics. Edit that offering instead." in page
    assert "already exists" not in page
    assert CourseOffering.objects.count() == 2


def test_it_edits_a_class(office, school):
    data = {
        "subject": school.offering.subject_id,
        "section": school.section.pk,
        "teacher": school.other_teacher_staff.pk,
    }
    assert office.post(reverse("academics:offering_edit", args=[school.offering.pk]), data).status_code == 302
    school.offering.refresh_from_db()
    assert school.offering.teacher == school.other_teacher_staff


def test_it_refuses_teachers_and_unknown_classes(as_user, school, teacher, admin):
    assert (
        as_user(teacher).get(reverse("academics:offering_edit", args=[school.offering.pk])).status_code == 403
    )
    assert as_user(admin).get(reverse("academics:offering_edit", args=[9999])).status_code == 404
