from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories as f

pytestmark = pytest.mark.django_db
URL = reverse("people:student_list")


def test_it_lists_students_with_their_section(as_user, admin, school):
    response = as_user(admin).get(URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Sam Parent" in page
    assert "Olive Elsewhere" in page
    assert "7A" in page
    assert "7B" in page
    assert "2 results" in page


def test_it_searches_by_name_or_admission_number(as_user, admin, school):
    client = as_user(admin)
    page = client.get(URL, {"q": "olive"}).content.decode()
    assert "Olive Elsewhere" in page
    assert "Sam Parent" not in page
    page = client.get(URL, {"q": "A-0001"}).content.decode()
    assert "Sam Parent" in page
    assert "Olive Elsewhere" not in page


def test_it_filters_by_section_and_grade(as_user, admin, school):
    client = as_user(admin)
    page = client.get(URL, {"section": school.other_section.pk}).content.decode()
    assert "Olive Elsewhere" in page
    assert "Sam Parent" not in page
    other_grade = f.GradeLevelFactory(name="Grade 8", order=8)
    eight = f.SectionFactory(year=school.year, grade_level=other_grade, name="8A")
    f.EnrollmentFactory(student=f.StudentFactory(first_name="Eve", last_name="Eighth"), section=eight)
    page = client.get(URL, {"grade_level": other_grade.pk}).content.decode()
    assert "Eve Eighth" in page
    assert "Sam Parent" not in page


def test_it_sorts_by_name_descending(as_user, admin, school):
    page = as_user(admin).get(URL, {"sort": "-name"}).content.decode()
    assert page.index("Sam Parent") < page.index("Olive Elsewhere")


def test_it_pages_through_many_students(as_user, admin, school):
    for number in range(30):
        f.StudentFactory(last_name=f"Zz{number:02d}")
    client = as_user(admin)
    first = client.get(URL).content.decode()
    assert "32 results" in first
    second = client.get(URL, {"page": 2}).content.decode()
    assert "Zz29" in second
    assert "Zz29" not in first


def test_it_returns_only_the_results_for_htmx(as_user, admin, school):
    response = as_user(admin).get(URL, {"q": "sam"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "<html" not in page
    assert "Sam Parent" in page
    assert response["Vary"]
    assert "HX-Request" in response["Vary"]


def test_it_keeps_the_query_count_flat_as_the_school_grows(as_user, admin, school, queries_exactly):
    client = as_user(admin)
    client.get(URL)
    with queries_exactly(7) as small:
        client.get(URL)
    for _ in range(40):
        f.EnrollmentFactory(student=f.StudentFactory(), section=school.section)
    with queries_exactly(7) as large:
        client.get(URL)
    assert len(large) == len(small)
    assert len(large) <= 10


@pytest.mark.parametrize("persona", ["teacher", "guardian", "student", "bursar"])
def test_it_refuses_everyone_but_the_office(persona, request, as_user, school):
    assert as_user(request.getfixturevalue(persona)).get(URL).status_code == 403


def test_it_refuses_post(as_user, admin, school):
    assert as_user(admin).post(URL).status_code == 405


def test_it_announces_the_sort_order_to_screen_readers(as_user, admin, school):
    page = as_user(admin).get(URL, {"sort": "-name"}).content.decode()
    assert 'aria-sort="descending"' in page
    assert page.count("aria-sort=") == 1
