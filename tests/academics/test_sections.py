from __future__ import annotations

import datetime

from django.urls import reverse

from modules.academics.models import Section
from tests import factories as f

LIST = reverse("academics:section_list")


def test_it_lists_this_years_sections_with_teacher_room_and_students(office, school):
    room = f.RoomFactory(name="R7A")
    school.section.room = room
    school.section.save()
    f.EnrollmentFactory(section=school.section)
    response = office.get(LIST)
    sections = {s.name: s for s in response.context["sections"]}
    assert set(sections) == {"7A", "7B"}
    assert sections["7A"].student_count == 2
    page = response.content.decode()
    assert "Tom Teach" in page
    assert "R7A" in page
    assert "Grade 7" in page


def test_it_counts_only_active_students(office, school):
    f.EnrollmentFactory(section=school.section, status="withdrawn")
    response = office.get(LIST)
    assert {s.name: s.student_count for s in response.context["sections"]}["7A"] == 1


def test_it_shows_another_year_on_request(office, school):
    old = f.AcademicYearFactory(start_date=datetime.date(2001, 8, 1), is_current=False)
    f.SectionFactory(year=old, name="Old 7A")
    response = office.get(LIST, {"year": old.pk})
    assert [s.name for s in response.context["sections"]] == ["Old 7A"]
    assert office.get(LIST, {"year": 9999}).status_code == 404


def test_it_answers_htmx_with_the_results_fragment(office, school):
    response = office.get(LIST, {"year": school.year.pk}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "7A" in page
    assert "<html" not in page
    assert "HX-Request" in response["Vary"]


def test_it_lists_sections_in_a_fixed_number_of_queries(office, school, django_assert_max_num_queries):
    with django_assert_max_num_queries(7):
        office.get(LIST)
    for number in range(8):
        section = f.SectionFactory(
            year=school.year,
            grade_level=school.section.grade_level,
            name=f"8{number}",
            homeroom_teacher=school.teacher_staff,
            room=f.RoomFactory(),
        )
        f.EnrollmentFactory.create_batch(3, section=section)
    with django_assert_max_num_queries(7):
        office.get(LIST)


def _data(school, **overrides):
    data = {
        "year": school.year.pk,
        "grade_level": school.section.grade_level_id,
        "name": "7C",
        "homeroom_teacher": school.teacher_staff.pk,
        "room": "",
        "capacity": 30,
    }
    return {**data, **overrides}


def test_it_creates_a_section_and_opens_its_roster(office, school):
    response = office.post(reverse("academics:section_create"), _data(school))
    section = Section.objects.get(name="7C")
    assert response["Location"] == reverse("academics:section_roster", args=[section.pk])
    assert section.homeroom_teacher == school.teacher_staff


def test_it_refuses_a_duplicate_name_in_the_same_year(office, school):
    response = office.post(reverse("academics:section_create"), _data(school, name="7a"))
    assert "already has a section called 7a" in response.content.decode()
    assert Section.objects.count() == 2


def test_it_offers_only_active_teachers_as_homeroom_teacher(office, school, bursar):
    response = office.post(
        reverse("academics:section_create"), _data(school, homeroom_teacher=bursar.staff_profile.pk)
    )
    assert "Select a valid choice." in response.content.decode()
    assert not Section.objects.filter(name="7C").exists()
    form = office.get(reverse("academics:section_create")).context["form"]
    assert set(form.fields["homeroom_teacher"].queryset) == {school.teacher_staff, school.other_teacher_staff}


def test_it_edits_a_section(office, school):
    url = reverse("academics:section_edit", args=[school.section.pk])
    response = office.post(url, _data(school, name="7A", homeroom_teacher=school.other_teacher_staff.pk))
    assert response.status_code == 302
    school.section.refresh_from_db()
    assert school.section.homeroom_teacher == school.other_teacher_staff


def test_it_refuses_teachers_even_their_own_section(as_user, school, teacher):
    assert (
        as_user(teacher).get(reverse("academics:section_edit", args=[school.section.pk])).status_code == 403
    )
    assert as_user(teacher).get(LIST).status_code == 403


def test_it_answers_404_for_an_unknown_section(office, school):
    assert office.get(reverse("academics:section_edit", args=[9999])).status_code == 404
    assert office.get(reverse("academics:section_roster", args=[9999])).status_code == 404
