from __future__ import annotations

import datetime

from django.urls import reverse

from modules.academics.models import AcademicYear, Term
from modules.core.models import AuditEvent
from tests import factories as f


def _next_year(school, **kwargs):
    start = school.year.end_date + datetime.timedelta(days=30)
    return f.AcademicYearFactory(start_date=start, is_current=False, **kwargs)


def test_it_lists_years_and_marks_the_current_one(office, school):
    other = _next_year(school)
    response = office.get(reverse("academics:year_list"))
    page = response.content.decode()
    assert school.year.name in page
    assert other.name in page
    assert "Current year" in page
    assert reverse("academics:year_set_current", args=[other.pk]) in page


def test_it_creates_a_year(office, school):
    response = office.post(
        reverse("academics:year_create"),
        {"name": "2040/2041", "start_date": "2040-08-20", "end_date": "2041-07-10"},
    )
    year = AcademicYear.objects.get(name="2040/2041")
    assert response.status_code == 302
    assert response["Location"] == reverse("academics:year_detail", args=[year.pk])
    assert not year.is_current


def test_it_refuses_a_year_that_ends_before_it_starts(office, school):
    response = office.post(
        reverse("academics:year_create"),
        {"name": "Backwards", "start_date": "2040-08-20", "end_date": "2040-01-10"},
    )
    assert response.status_code == 200
    assert "The year must end after it starts." in response.content.decode()
    assert not AcademicYear.objects.filter(name="Backwards").exists()


def test_it_edits_a_year(office, school):
    data = {"name": "Renamed", "start_date": school.year.start_date, "end_date": school.year.end_date}
    response = office.post(reverse("academics:year_edit", args=[school.year.pk]), data)
    assert response.status_code == 302
    school.year.refresh_from_db()
    assert school.year.name == "Renamed"


def test_it_makes_another_year_current_and_clears_the_old_one(office, school, admin):
    other = _next_year(school)
    response = office.post(reverse("academics:year_set_current", args=[other.pk]))
    assert response.status_code == 302
    assert list(AcademicYear.objects.filter(is_current=True)) == [other]
    assert AuditEvent.objects.filter(
        action="academic_year.set_current", object_id=str(other.pk), actor=admin
    ).exists()


def test_it_sets_current_only_by_post(office, school):
    assert office.get(reverse("academics:year_set_current", args=[school.year.pk])).status_code == 405


def test_it_refuses_teachers_and_unknown_years(as_user, teacher, school, admin):
    assert (
        as_user(teacher).post(reverse("academics:year_set_current", args=[school.year.pk])).status_code == 403
    )
    assert as_user(admin).get(reverse("academics:year_detail", args=[9999])).status_code == 404


def test_it_shows_the_terms_of_a_year(office, school):
    response = office.get(reverse("academics:year_detail", args=[school.year.pk]))
    page = response.content.decode()
    assert "Term 1" in page
    assert reverse("academics:term_edit", args=[school.year.pk, school.term.pk]) in page


def _half_year(year):
    middle = year.start_date + (year.end_date - year.start_date) / 2
    return middle


def test_it_adds_a_term_inside_the_year(office, school):
    school.term.end_date = _half_year(school.year)
    school.term.save()
    data = {
        "name": "Term 2",
        "start_date": school.term.end_date + datetime.timedelta(days=1),
        "end_date": school.year.end_date,
    }
    response = office.post(reverse("academics:term_create", args=[school.year.pk]), data)
    assert response.status_code == 302
    assert Term.objects.filter(year=school.year, name="Term 2").exists()


def test_it_refuses_a_term_outside_the_year(office, school):
    data = {
        "name": "Summer",
        "start_date": school.year.end_date - datetime.timedelta(days=5),
        "end_date": school.year.end_date + datetime.timedelta(days=20),
    }
    response = office.post(reverse("academics:term_create", args=[school.year.pk]), data)
    assert response.status_code == 200
    assert "The term must lie within the academic year" in response.content.decode()
    assert not Term.objects.filter(name="Summer").exists()


def test_it_refuses_overlapping_terms(office, school):
    data = {
        "name": "Clash",
        "start_date": school.year.start_date,
        "end_date": school.year.start_date + datetime.timedelta(days=9),
    }
    response = office.post(reverse("academics:term_create", args=[school.year.pk]), data)
    assert "The term overlaps Term 1." in response.content.decode()
    assert not Term.objects.filter(name="Clash").exists()


def test_it_refuses_a_second_term_with_the_same_name(office, school):
    school.term.end_date = _half_year(school.year)
    school.term.save()
    data = {
        "name": "term 1",
        "start_date": school.term.end_date + datetime.timedelta(days=1),
        "end_date": school.year.end_date,
    }
    response = office.post(reverse("academics:term_create", args=[school.year.pk]), data)
    assert "This year already has a term called term 1." in response.content.decode()
    assert Term.objects.count() == 1


def test_it_edits_a_term_and_finds_it_only_under_its_own_year(office, school):
    other = _next_year(school)
    assert office.get(reverse("academics:term_edit", args=[other.pk, school.term.pk])).status_code == 404
    data = {"name": "Autumn", "start_date": school.term.start_date, "end_date": school.term.end_date}
    response = office.post(reverse("academics:term_edit", args=[school.year.pk, school.term.pk]), data)
    assert response.status_code == 302
    school.term.refresh_from_db()
    assert school.term.name == "Autumn"


def test_it_lists_years_in_a_fixed_number_of_queries(office, school, django_assert_max_num_queries):
    for offset in range(5):
        f.AcademicYearFactory(start_date=datetime.date(2000 + offset, 8, 1), is_current=False)
    with django_assert_max_num_queries(5):
        response = office.get(reverse("academics:year_list"))
    assert response.status_code == 200
