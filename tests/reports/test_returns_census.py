"""The enrolment census: on roll by grade level and sex, ages on the census date, new enrolments and leavers
of a period, on hand-made enrolments (a leaver withdrawn through the section page, as the office does)."""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from modules.academics.models import AcademicYear, Enrollment
from modules.academics.services import enrollment_save
from modules.core.models import AuditEvent
from modules.reports.returns_census import age_on
from tests import factories as f

ON_ROLL, AGES, MOVEMENTS = 0, 1, 2
MOVEMENTS_PERIOD = {"start": "2024-09-01", "end": "2025-01-31"}


def _enrol(section, first: str, gender: str, born: datetime.date, enrolled_on: datetime.date, **kwargs):
    student = f.StudentFactory(first_name=first, last_name="Pupil", gender=gender, date_of_birth=born)
    return f.EnrollmentFactory(student=student, section=section, enrolled_on=enrolled_on, **kwargs)


@pytest.fixture
def roll(admin, as_user):
    """2024/25: 7A has Ann (F, also enrolled the year before), Ben (M, new), Eve (X, joins 1 February) and
    Fay (withdrawn with no record of the day); 8A has Cat (F, new in November) and Dan (M, new, withdrawn
    through the section page on 20 January)."""
    before = AcademicYear.objects.create(
        name="2023/24", start_date=datetime.date(2023, 9, 1), end_date=datetime.date(2024, 7, 15)
    )
    year = AcademicYear.objects.create(
        name="2024/25", start_date=datetime.date(2024, 9, 1), end_date=datetime.date(2025, 7, 15)
    )
    grade7 = f.GradeLevelFactory(name="Grade 7", order=7)
    grade8 = f.GradeLevelFactory(name="Grade 8", order=8)
    old = f.SectionFactory(year=before, grade_level=f.GradeLevelFactory(name="Grade 6", order=6), name="6A")
    a = f.SectionFactory(year=year, grade_level=grade7, name="7A")
    b = f.SectionFactory(year=year, grade_level=grade8, name="8A")
    ann = _enrol(a, "Ann", "F", datetime.date(2012, 10, 1), datetime.date(2024, 9, 1))
    f.EnrollmentFactory(student=ann.student, section=old, enrolled_on=datetime.date(2023, 9, 1))
    _enrol(a, "Ben", "M", datetime.date(2012, 3, 1), datetime.date(2024, 9, 1))
    _enrol(a, "Eve", "X", datetime.date(2012, 2, 29), datetime.date(2025, 2, 1))
    _enrol(a, "Fay", "F", datetime.date(2012, 5, 5), datetime.date(2024, 9, 1), status="withdrawn")
    _enrol(b, "Cat", "F", datetime.date(2011, 1, 15), datetime.date(2024, 11, 4))
    dan = _enrol(b, "Dan", "M", datetime.date(2011, 6, 30), datetime.date(2024, 9, 1))
    response = as_user(admin).post(reverse("academics:enrollment_withdraw", args=[b.pk, dan.pk]))
    assert response.status_code == 302
    withdrawn = Enrollment.objects.get(pk=dan.pk)
    assert (withdrawn.status, withdrawn.ended_on) == (
        "withdrawn",
        timezone.localdate(),
    )  # the day it was done
    # As if the office had done it on 20 January 2025.
    Enrollment.objects.filter(pk=dan.pk).update(ended_on=datetime.date(2025, 1, 20))


def _census(client, **params):
    response = client.get(reverse("reports:return_detail", args=["census"]), params)
    assert response.status_code == 200
    return response.context["document"]


def test_it_counts_who_was_on_roll_by_grade_sex_and_age(roll, admin, as_user):
    document = _census(as_user(admin), on="2025-01-15", **MOVEMENTS_PERIOD)

    assert document.tables[ON_ROLL].headers == [
        "Grade level",
        "Female",
        "Male",
        "Other / not stated",
        "Total",
    ]
    assert document.tables[ON_ROLL].rows == [["Grade 7", 1, 1, 0, 2], ["Grade 8", 1, 1, 0, 2]]
    assert document.tables[ON_ROLL].totals == ["Total", 2, 2, 0, 4]
    # Ann and Ben are 12; Cat turns 14 that very day; Dan is 13.
    assert document.tables[AGES].headers == ["Grade level", "Age 12", "Age 13", "Age 14", "Total"]
    assert document.tables[AGES].rows == [["Grade 7", 2, 0, 0, 2], ["Grade 8", 0, 1, 1, 2]]


def test_it_counts_new_enrolments_and_leavers_of_the_period(roll, admin, as_user):
    document = _census(as_user(admin), on="2025-01-15", **MOVEMENTS_PERIOD)

    # New: Ben and Fay (who joined, then left on a day nobody recorded), Cat and Dan; not Ann (enrolled the
    # year before) nor Eve (after the period). Leavers: Dan; not Fay, whose day of leaving is unknown.
    assert document.tables[MOVEMENTS].rows == [["Grade 7", 2, 0], ["Grade 8", 2, 1]]
    assert dict(document.facts) == {"Students on roll": 4, "New enrolments": 4, "Leavers": 1}


def test_a_leaver_is_off_the_roll_after_the_day_they_left(roll, admin, as_user):
    client = as_user(admin)
    document = _census(client, on="2025-01-25", start="2025-01-21", end="2025-01-31")

    assert document.tables[ON_ROLL].rows == [["Grade 7", 1, 1, 0, 2], ["Grade 8", 1, 0, 0, 1]]
    assert document.tables[MOVEMENTS].rows == []
    # Eve is on roll from the day she was enrolled.
    later = _census(client, on="2025-02-03", start="2025-02-01", end="2025-02-03")
    assert later.tables[ON_ROLL].rows == [["Grade 7", 1, 1, 1, 3], ["Grade 8", 1, 0, 0, 1]]
    assert later.tables[MOVEMENTS].rows == [["Grade 7", 1, 0]]


def test_the_movements_default_to_the_school_year_so_far(roll, admin, as_user):
    document = _census(as_user(admin), on="2025-01-15")
    assert document.covers == (
        "On Wednesday 15 January 2025; movements Sunday 1 September 2024 – Wednesday 15 January 2025"
    )


def test_a_date_outside_any_school_year_has_nobody_on_roll(roll, admin, as_user):
    client = as_user(admin)
    response = client.get(reverse("reports:return_detail", args=["census"]), {"on": "2019-01-15"})
    assert "No student was on roll on this date." in response.content.decode()


def test_age_counts_whole_years_and_leap_day_birthdays_turn_on_the_first_of_march():
    born = datetime.date(2012, 2, 29)
    assert age_on(born, datetime.date(2025, 2, 28)) == 12
    assert age_on(born, datetime.date(2025, 3, 1)) == 13
    assert age_on(born, datetime.date(2024, 2, 29)) == 12


def test_an_enrolment_ended_by_an_edit_counts_from_the_edit_that_ended_it(roll, admin, as_user):
    cat = Enrollment.objects.get(student__first_name="Cat")
    cat.status = "transferred"
    enrollment_save(enrollment=cat, by=admin)
    assert cat.ended_on == timezone.localdate()
    Enrollment.objects.filter(pk=cat.pk).update(ended_on=datetime.date(2025, 1, 10))  # as if done that day
    cat.refresh_from_db()
    # A later edit of the ended enrolment (its date) does not move the day it ended.
    cat.enrolled_on = datetime.date(2024, 11, 5)
    enrollment_save(enrollment=cat, by=admin)
    assert Enrollment.objects.get(pk=cat.pk).ended_on == datetime.date(2025, 1, 10)

    document = _census(as_user(admin), on="2025-01-09", start="2025-01-01", end="2025-01-31")
    assert document.tables[ON_ROLL].rows == [["Grade 7", 1, 1, 0, 2], ["Grade 8", 1, 1, 0, 2]]
    assert document.tables[MOVEMENTS].rows == [["Grade 8", 0, 2]]
    after = _census(as_user(admin), on="2025-01-12", start="2025-01-01", end="2025-01-31")
    assert after.tables[ON_ROLL].rows == [["Grade 7", 1, 1, 0, 2], ["Grade 8", 0, 1, 0, 1]]


def test_an_enrolment_made_active_again_has_no_end(roll, admin):
    dan = Enrollment.objects.get(student__first_name="Dan")
    dan.status = "active"
    enrollment_save(enrollment=dan, by=admin)

    assert Enrollment.objects.get(pk=dan.pk).ended_on is None


def test_the_migration_gives_ended_enrolments_the_day_of_the_audit_event_that_ended_them(roll, admin):
    """Enrolments ended before `ended_on` existed: the day the census used to read from the audit log."""
    migration = importlib.import_module("modules.academics.migrations.0006_enrollment_ended_on")
    Enrollment.objects.update(ended_on=None)
    # Dan was withdrawn from the section page (the fixture).
    AuditEvent.objects.filter(action="enrollment.withdraw").update(
        at=datetime.datetime(2025, 1, 20, 10, 0, tzinfo=datetime.UTC)
    )
    cat = Enrollment.objects.get(student__first_name="Cat")  # transferred by an edit, then edited again
    cat.status = "transferred"
    enrollment_save(enrollment=cat, by=admin)
    AuditEvent.objects.filter(action="enrollment.update", object_id=str(cat.pk)).update(
        at=datetime.datetime(2025, 1, 10, 9, 0, tzinfo=datetime.UTC)
    )
    cat.enrolled_on = datetime.date(2024, 11, 5)
    enrollment_save(enrollment=cat, by=admin)  # not an ending event: the day stays the 10th
    Enrollment.objects.update(ended_on=None)

    migration.ended_days(apps, None)

    days = dict(Enrollment.objects.values_list("student__first_name", "ended_on"))
    assert days["Dan"] == datetime.date(2025, 1, 20)
    assert days["Cat"] == datetime.date(2025, 1, 10)
    assert days["Fay"] is None  # withdrawn with no record of the day
    assert days["Ann"] is None  # active
