from __future__ import annotations

from django.urls import reverse

from tests import factories as f

URL = reverse("academics:setup")


def test_it_shows_counts_and_links_to_every_setup_page(office, school):
    f.PeriodFactory()
    response = office.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    for name in [
        "year_list",
        "gradelevel_list",
        "subject_list",
        "room_list",
        "section_list",
        "offering_list",
        "enrollment_list",
        "calendar",
        "period_list",
    ]:
        assert reverse(f"academics:{name}") in page
    counts = response.context["counts"]
    assert counts == {
        "years": 1,
        "terms": 1,
        "grade_levels": 1,
        "subjects": 2,
        "rooms": 0,
        "periods": 1,
        "sections": 2,
        "offerings": 2,
        "enrolled": 2,
        "unenrolled": 0,
    }


def test_it_warns_about_students_without_a_section(office, school):
    f.StudentFactory(first_name="Nadia", last_name="Nosection")
    response = office.get(URL)
    assert response.context["counts"]["unenrolled"] == 1
    assert "1 active student has no section this year." in response.content.decode()


def test_it_works_with_no_academic_year(as_user, admin):
    response = as_user(admin).get(URL)
    assert response.status_code == 200
    assert "No current academic year is set." in response.content.decode()


def test_it_refuses_other_roles_and_visitors(as_user, school, teacher, client):
    assert client.get(URL).status_code == 302
    assert as_user(teacher).get(URL).status_code == 403


def test_it_only_answers_get(office):
    assert office.post(URL).status_code == 405


def test_it_uses_a_fixed_number_of_queries(office, school, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        office.get(URL)
    for _ in range(10):
        f.EnrollmentFactory(section=school.section)
    with django_assert_max_num_queries(14):
        office.get(URL)
