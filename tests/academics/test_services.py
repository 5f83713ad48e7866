"""The services behind the setup pages, called directly: their rules hold whichever page calls them."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from modules.academics import services
from modules.academics.models import AcademicYear, Enrollment, GradeLevel
from modules.core.models import AuditEvent
from tests import factories as f


def test_it_keeps_exactly_one_current_year(school, admin):
    later = f.AcademicYearFactory(start_date=datetime.date(2040, 8, 1), is_current=False)
    services.academic_year_set_current(year=later, by=admin)
    services.academic_year_set_current(year=later, by=admin)
    assert list(AcademicYear.objects.filter(is_current=True)) == [later]
    assert AcademicYear.objects.current() == later
    event = AuditEvent.objects.filter(action="academic_year.set_current").order_by("pk").first()
    assert event.before == {"current": [school.year.pk]}


def test_it_enrols_all_or_none(school, admin):
    ready = f.StudentFactory()
    gone = f.StudentFactory(first_name="Gus", last_name="Gone", is_active=False)
    with pytest.raises(ValidationError, match="These students are not active: Gus Gone."):
        services.enrollments_create(section=school.section, students=[ready, gone], by=admin)
    assert not Enrollment.objects.filter(student=ready).exists()
    created = services.enrollments_create(section=school.section, students=[ready], by=admin)
    assert [e.year for e in created] == [school.year]


def test_it_names_students_who_already_have_a_section(school, admin):
    with pytest.raises(ValidationError, match=r"Already in a section this year: Olive Elsewhere \(7B\)."):
        services.enrollments_create(section=school.section, students=[school.other_child], by=admin)


def test_it_refuses_to_move_across_years(school, admin):
    elsewhere = f.SectionFactory(
        year=f.AcademicYearFactory(start_date=datetime.date(2001, 8, 1), is_current=False)
    )
    enrollment = school.child.enrollments.get()
    with pytest.raises(ValidationError, match="belongs to another academic year"):
        services.enrollment_move(enrollment=enrollment, section=elsewhere, by=admin)
    with pytest.raises(ValidationError, match="already in 7A"):
        services.enrollment_move(enrollment=enrollment, section=school.section, by=admin)


def test_it_does_not_withdraw_twice(school, admin):
    enrollment = school.child.enrollments.get()
    services.enrollment_withdraw(enrollment=enrollment, by=admin)
    with pytest.raises(ValidationError, match="is not active in this section"):
        services.enrollment_withdraw(enrollment=enrollment, by=admin)
    assert AuditEvent.objects.filter(action="enrollment.withdraw").count() == 1


def test_it_deletes_only_what_nothing_uses(school, admin):
    with pytest.raises(ValidationError, match="Grade 7 is still in use"):
        services.setup_item_delete(obj=school.section.grade_level, by=admin)
    assert GradeLevel.objects.filter(name="Grade 7").exists()
    assert not AuditEvent.objects.filter(action="gradelevel.delete").exists()
