"""`manage.py seed_demo`: the small demo school, loaded into the test database for real."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from modules.academics.models import (
    AcademicYear,
    CalendarEvent,
    CourseOffering,
    Enrollment,
    Period,
    Section,
    Subject,
    Term,
    TimetableEntry,
)
from modules.accounts.models import Role, User
from modules.core import demo
from modules.core.models import SchoolProfile
from modules.people.models import Guardian, GuardianLink, Position, Staff, Student
from tests import factories as f

COUNTED = [
    User,
    Staff,
    Student,
    Guardian,
    GuardianLink,
    AcademicYear,
    Term,
    Section,
    Subject,
    CourseOffering,
    Enrollment,
    Period,
    TimetableEntry,
    CalendarEvent,
]


def seed(size: str = "small") -> str:
    out = StringIO()
    call_command("seed_demo", "--size", size, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def seeded(db, media) -> str:
    return seed()


def test_it_loads_the_small_school(seeded):
    year = AcademicYear.objects.get(is_current=True)
    today = timezone.localdate()
    assert year.start_date <= today <= year.end_date
    assert (year.start_date.month, year.start_date.day, year.end_date.month, year.end_date.day) == (
        8,
        15,
        7,
        15,
    )
    assert Term.objects.filter(year=year).count() == 3
    assert Term.objects.filter(year=year, start_date__lte=today, end_date__gte=today).count() <= 1
    assert Student.objects.count() == 300
    assert Section.objects.filter(year=year).count() == 12
    assert Staff.objects.count() == 25
    assert Staff.objects.filter(position=Position.ADMINISTRATOR).count() == 2
    assert 1 <= Staff.objects.filter(position=Position.BURSAR).count() <= 2
    assert Enrollment.objects.filter(year=year).count() == 300
    assert not Section.objects.filter(homeroom_teacher__isnull=True).exists()
    assert not Section.objects.filter(room__isnull=True).exists()
    per_section = Section.objects.annotate(n=Count("offerings")).values_list("n", flat=True)
    assert set(per_section) == {8}
    assert not CourseOffering.objects.filter(teacher__isnull=True).exists()
    assert {"Mathematics", "English", "Science", "History", "Spanish", "French", "Physical Education"} <= set(
        Subject.objects.values_list("name", flat=True)
    )
    assert 6 <= Period.objects.count() <= 7
    kinds = set(CalendarEvent.objects.values_list("kind", flat=True))
    assert {"holiday", "closure"} <= kinds
    assert not CalendarEvent.objects.on(today).exists()
    assert SchoolProfile.load().name == "Riverside International School"
    # Realistic, mixed-language names.
    assert Student.objects.values("last_name").distinct().count() > 100
    assert Guardian.objects.filter(preferred_language="es").exists()
    assert Guardian.objects.filter(preferred_language="fr").exists()
    assert "The demo school is loaded" in seeded
    for email, _role in demo.DEMO_LOGINS:
        assert email in seeded


def test_it_balances_teacher_loads(seeded):
    loads = list(
        Staff.objects.teachers().annotate(n=Count("offerings__timetable_entries")).values_list("n", flat=True)
    )
    assert min(loads) > 0
    assert max(loads) - min(loads) <= 6


def test_it_creates_the_demo_logins_with_their_roles(seeded):
    users = {u.email: u for u in User.objects.filter(email__endswith="@demo.school")}
    for email, _role in demo.DEMO_LOGINS:
        assert users[email].check_password(demo.DEMO_PASSWORD)
    admin = users[demo.ADMIN_EMAIL]
    assert admin.roles == [Role.ADMINISTRATOR]
    assert admin.is_staff
    assert list(admin.groups.values_list("name", flat=True)) == ["Administrators"]
    assert users[demo.BURSAR_EMAIL].roles == [Role.BURSAR]
    assert users[demo.PARENT_EMAIL].roles == [Role.GUARDIAN]
    assert users[demo.STUDENT_EMAIL].roles == [Role.STUDENT]

    teacher = users[demo.TEACHER_EMAIL]
    assert teacher.roles == [Role.TEACHER, Role.GUARDIAN]
    weekdays = set(
        TimetableEntry.objects.filter(offering__teacher__user=teacher).values_list("weekday", flat=True)
    )
    assert weekdays == {0, 1, 2, 3, 4}
    assert Section.objects.filter(homeroom_teacher__user=teacher).count() == 1
    assert Student.objects.filter(guardian_links__guardian__user=teacher).count() == 1

    children = Student.objects.filter(guardian_links__guardian__user=users[demo.PARENT_EMAIL])
    assert 2 <= children.count() <= 3
    sections = Enrollment.objects.filter(student__in=children).values_list("section", flat=True)
    assert len(set(sections)) == children.count()
    assert children.filter(user=users[demo.STUDENT_EMAIL]).exists()


def test_it_makes_families_with_children_in_different_sections(seeded):
    families = Guardian.objects.annotate(children=Count("student_links")).filter(children__gte=2)
    assert families.count() >= 30
    for guardian in families:
        sections = Enrollment.objects.filter(student__guardian_links__guardian=guardian).values_list(
            "section", flat=True
        )
        assert len(set(sections)) == guardian.children, guardian
    guardians_per_student = Student.objects.annotate(n=Count("guardian_links")).values_list("n", flat=True)
    assert min(guardians_per_student) >= 1
    assert sum(1 for n in guardians_per_student if n in (1, 2)) > 0.8 * len(guardians_per_student)
    primaries = Student.objects.annotate(
        n=Count("guardian_links", filter=Q(guardian_links__is_primary=True))
    ).values_list("n", flat=True)
    assert set(primaries) == {1}
    # Small school: every guardian can sign in.
    assert not Guardian.objects.filter(user__isnull=True).exists()


def test_it_builds_a_timetable_without_clashes(seeded):
    assert not CourseOffering.objects.filter(timetable_entries__isnull=True).exists()
    teacher_clashes = (
        TimetableEntry.objects.values("offering__teacher", "weekday", "period")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    section_clashes = (
        TimetableEntry.objects.values("offering__section", "weekday", "period")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not teacher_clashes.exists()
    assert not section_clashes.exists()
    assert set(TimetableEntry.objects.values_list("weekday", flat=True)) == {0, 1, 2, 3, 4}


def test_it_gives_the_demo_children_photos(seeded, media):
    children = Student.objects.filter(guardian_links__guardian__user__email=demo.PARENT_EMAIL)
    for child in children:
        assert child.photo.name
        with default_storage.open(child.photo.name) as photo:
            assert photo.read(8) == b"\x89PNG\r\n\x1a\n"
        assert (media / child.photo.name).exists()


def test_it_lets_the_demo_teacher_sign_in_and_see_today(seeded, client):
    assert client.login(email=demo.TEACHER_EMAIL, password=demo.DEMO_PASSWORD)
    page = client.get("/").content.decode()
    homeroom = Section.objects.get(homeroom_teacher__user__email=demo.TEACHER_EMAIL)
    assert homeroom.name in page
    assert "Acting as" in page  # the role switcher: teacher and parent
    if timezone.localdate().weekday() < 5:
        lesson = TimetableEntry.objects.filter(
            offering__teacher__user__email=demo.TEACHER_EMAIL, weekday=timezone.localdate().weekday()
        ).first()
        assert lesson.offering.subject.name in page
        assert lesson.period.name in page


def test_it_changes_nothing_when_run_twice(seeded):
    before = counts()
    output = seed()
    assert "The demo school is already loaded" in output
    assert counts() == before


class Rollback(Exception):
    pass


def test_it_is_deterministic(db, media):
    def snapshot():
        return (
            list(
                Student.objects.order_by("admission_number").values_list(
                    "first_name", "last_name", "admission_number"
                )
            ),
            list(Staff.objects.order_by("staff_number").values_list("first_name", "last_name", "email")),
            list(
                TimetableEntry.objects.order_by(
                    "offering__section__name", "weekday", "period__order"
                ).values_list(
                    "offering__section__name", "offering__subject__code", "weekday", "period__order"
                )
            ),
        )

    with pytest.raises(Rollback), transaction.atomic():
        seed()
        first = snapshot()
        raise Rollback
    assert not Student.objects.exists()
    seed()
    assert snapshot() == first


@pytest.mark.parametrize("module", ["portal.settings.production", "myschool.settings.production"])
def test_it_refuses_production_settings(db, settings, module):
    settings.SETTINGS_MODULE = module
    with pytest.raises(CommandError, match="production settings"):
        seed()
    assert not User.objects.exists()
    assert not Student.objects.exists()


def test_it_refuses_an_unknown_settings_module_with_debug_off(db, settings):
    # DEBUG first: each change wraps the settings again, and only the last one keeps SETTINGS_MODULE.
    settings.DEBUG = False
    settings.SETTINGS_MODULE = "myschool.settings.live"
    with pytest.raises(CommandError, match="DEBUG is off"):
        seed()
    assert not Student.objects.exists()


def test_it_refuses_a_database_that_already_holds_a_school(db, media):
    f.StudentFactory(first_name="Real", last_name="Pupil")
    with pytest.raises(CommandError, match="already holds a school"):
        seed()
    assert Student.objects.count() == 1
    assert not User.objects.filter(email=demo.ADMIN_EMAIL).exists()


def test_it_rejects_an_unknown_size(db):
    with pytest.raises(CommandError, match="invalid choice"):
        seed("huge")
