"""Personas and a small school every test can name: admin, teacher, other_teacher, guardian,
other_guardian, student, bursar. The teacher teaches 7A (child, the student persona, is in it); the
other teacher teaches 7B (other_child). The guardian is child's parent; other_guardian is other_child's."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone

from modules.academics.models import AcademicYear, CourseOffering, Section, Term
from modules.accounts.groups import group_for
from modules.accounts.models import User
from modules.people.models import Guardian, Position, Staff, Student
from tests import factories as f
from tests.factories import PASSWORD
from tests.queries import queries_exactly as _queries_exactly


@dataclass
class School:
    year: AcademicYear
    term: Term
    section: Section
    other_section: Section
    offering: CourseOffering
    other_offering: CourseOffering
    teacher_staff: Staff
    other_teacher_staff: Staff
    child: Student
    other_child: Student
    guardian_profile: Guardian
    other_guardian_profile: Guardian


def _staff(email: str, position: str, first: str, last: str) -> User:
    user = f.UserFactory(email=email, first_name=first, last_name=last)
    f.StaffFactory(user=user, position=position)
    if position == Position.ADMINISTRATOR:
        user.is_staff = True
        user.save()
    user.groups.add(group_for(position))
    return user


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: cached rows (the attendance policy, sessions) and rate-limit
    counters must not leak from one test's rolled-back database into the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def admin(db) -> User:
    return _staff("admin@school.test", Position.ADMINISTRATOR, "Ada", "Office")


@pytest.fixture
def bursar(db) -> User:
    return _staff("bursar@school.test", Position.BURSAR, "Bea", "Money")


@pytest.fixture
def teacher(db) -> User:
    return _staff("teacher@school.test", Position.TEACHER, "Tom", "Teach")


@pytest.fixture
def other_teacher(db) -> User:
    return _staff("other.teacher@school.test", Position.TEACHER, "Olga", "Other")


@pytest.fixture
def guardian(db) -> User:
    user = f.UserFactory(email="parent@school.test", first_name="Pat", last_name="Parent")
    f.GuardianFactory(user=user, first_name="Pat", last_name="Parent", email=user.email)
    return user


@pytest.fixture
def other_guardian(db) -> User:
    user = f.UserFactory(email="other.parent@school.test", first_name="Otto", last_name="Elsewhere")
    f.GuardianFactory(user=user, first_name="Otto", last_name="Elsewhere", email=user.email)
    return user


@pytest.fixture
def student(db) -> User:
    user = f.UserFactory(email="student@school.test", first_name="Sam", last_name="Parent")
    f.StudentFactory(user=user, first_name="Sam", last_name="Parent", admission_number="A-0001")
    return user


@pytest.fixture
def school(db, teacher, other_teacher, guardian, other_guardian, student) -> School:
    year = f.AcademicYearFactory()
    term = f.TermFactory(year=year, name="Term 1")
    grade = f.GradeLevelFactory(name="Grade 7", order=7)
    section = f.SectionFactory(
        year=year, grade_level=grade, name="7A", homeroom_teacher=teacher.staff_profile
    )
    other_section = f.SectionFactory(
        year=year, grade_level=grade, name="7B", homeroom_teacher=other_teacher.staff_profile
    )
    maths = f.SubjectFactory(name="Mathematics", code="MATH")
    history = f.SubjectFactory(name="History", code="HIST")
    offering = f.CourseOfferingFactory(subject=maths, section=section, teacher=teacher.staff_profile)
    other_offering = f.CourseOfferingFactory(
        subject=history, section=other_section, teacher=other_teacher.staff_profile
    )
    child = student.student_profile
    other_child = f.StudentFactory(first_name="Olive", last_name="Elsewhere", admission_number="A-0002")
    f.EnrollmentFactory(student=child, section=section)
    f.EnrollmentFactory(student=other_child, section=other_section)
    f.GuardianLinkFactory(student=child, guardian=guardian.guardian_profile, relationship="mother")
    f.GuardianLinkFactory(
        student=other_child, guardian=other_guardian.guardian_profile, relationship="father"
    )
    return School(
        year=year,
        term=term,
        section=section,
        other_section=other_section,
        offering=offering,
        other_offering=other_offering,
        teacher_staff=teacher.staff_profile,
        other_teacher_staff=other_teacher.staff_profile,
        child=child,
        other_child=other_child,
        guardian_profile=guardian.guardian_profile,
        other_guardian_profile=other_guardian.guardian_profile,
    )


@pytest.fixture
def as_user(client):
    """Log the test client in as a persona: `as_user(teacher).get(url)`."""

    def login(user: User):
        client.force_login(user, backend="modules.accounts.backends.PortalBackend")
        return client

    return login


@pytest.fixture
def queries_exactly():
    """``with queries_exactly(n):`` exactly n queries or a failure listing them (tests/queries.py)."""
    return _queries_exactly


@pytest.fixture
def weekday(monkeypatch) -> datetime.date:
    """Pin "today" to the latest weekday, so that the school is open whatever day the tests run (ask for it
    before the fixtures that build the school, so they are built on that day)."""
    real = timezone.localdate
    day = real()
    while day.weekday() >= 5:
        day -= datetime.timedelta(days=1)
    # A date asked for a given moment is still computed (the live server's thread sees the pinned day too).
    monkeypatch.setattr(
        timezone, "localdate", lambda value=None, tz=None: day if value is None else real(value)
    )
    return day
