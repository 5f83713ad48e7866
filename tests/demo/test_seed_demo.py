"""`manage.py seed_demo`: the small demo school, loaded into the test database for real."""

from __future__ import annotations

import datetime
import time
from collections import Counter, defaultdict
from io import StringIO
from unittest.mock import patch

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from modules.academics.models import (
    AcademicYear,
    CalendarEvent,
    CourseOffering,
    Enrollment,
    GradeLevel,
    Period,
    Section,
    Subject,
    Term,
)
from modules.accounts.demo import (
    ADMIN_EMAIL,
    BURSAR_EMAIL,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    PARENT_EMAIL,
    STUDENT_EMAIL,
    TEACHER_EMAIL,
)
from modules.accounts.models import Role, User
from modules.assignments.demo import seed_assignments
from modules.attendance.models import (
    AttendancePolicy,
    AttendanceRecord,
    AttendanceStatus,
    GradeRegisterMode,
    Register,
    RegisterState,
)
from modules.attendance.selectors import session_records
from modules.attendance.services import is_school_day
from modules.core.demo import SIZES, DemoSize
from modules.core.models import SchoolProfile
from modules.demo import seed as demo_seed
from modules.exams.demo import EXAM_SUBJECTS, seed_grades
from modules.exams.models import (
    Assessment,
    ExamPeriod,
    ExamSlot,
    GradingScale,
    Mark,
    TermComment,
    TermStatus,
)
from modules.people.models import Guardian, GuardianLink, Position, Staff, Student
from modules.timetable.models import Lesson, Timetable
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
    Timetable,
    Lesson,
    CalendarEvent,
    Register,
    AttendanceRecord,
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
    for email, _role in DEMO_LOGINS:
        assert email in seeded


def test_it_balances_teacher_loads(seeded):
    # Periods a week (a double lesson takes two).
    loads = list(Staff.objects.teachers().annotate(n=Sum("lessons__length")).values_list("n", flat=True))
    assert min(loads) > 0
    assert max(loads) - min(loads) <= 6


def test_it_creates_the_demo_logins_with_their_roles(seeded):
    users = {u.email: u for u in User.objects.filter(email__endswith="@demo.school")}
    for email, _role in DEMO_LOGINS:
        assert users[email].check_password(DEMO_PASSWORD)
    admin = users[ADMIN_EMAIL]
    assert admin.roles == [Role.ADMINISTRATOR]
    assert admin.is_staff
    assert list(admin.groups.values_list("name", flat=True)) == ["Administrators"]
    assert users[BURSAR_EMAIL].roles == [Role.BURSAR]
    assert users[PARENT_EMAIL].roles == [Role.GUARDIAN]
    assert users[STUDENT_EMAIL].roles == [Role.STUDENT]

    teacher = users[TEACHER_EMAIL]
    assert teacher.roles == [Role.TEACHER, Role.GUARDIAN]
    weekdays = set(Lesson.objects.filter(teacher__user=teacher).values_list("weekday", flat=True))
    assert weekdays == {0, 1, 2, 3, 4}
    assert Section.objects.filter(homeroom_teacher__user=teacher).count() == 1
    assert Student.objects.filter(guardian_links__guardian__user=teacher).count() == 1

    children = Student.objects.filter(guardian_links__guardian__user=users[PARENT_EMAIL])
    assert 2 <= children.count() <= 3
    sections = Enrollment.objects.filter(student__in=children).values_list("section", flat=True)
    assert len(set(sections)) == children.count()
    assert children.filter(user=users[STUDENT_EMAIL]).exists()


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


def _cells(lessons) -> list[tuple]:
    """Each lesson's (weekday, period order) cells: a double lesson's two."""
    return [
        (lesson, lesson.weekday, lesson.period.order + extra)
        for lesson in lessons
        for extra in range(lesson.length)
    ]


def test_it_builds_a_timetable_without_clashes(seeded):
    year = AcademicYear.objects.get(is_current=True)
    timetable = Timetable.objects.get()
    assert (timetable.status, timetable.effective_from, timetable.outcome) == (
        "published",
        year.start_date,
        "complete",
    )
    assert timetable.name == f"Timetable {year.start_date.year}–{year.end_date.year}"
    lessons = list(timetable.lessons.select_related("period", "offering"))
    assert not CourseOffering.objects.filter(lessons__isnull=True).exists()
    assert all(
        lesson.weekday is not None and lesson.teacher_id == lesson.offering.teacher_id for lesson in lessons
    )
    periods = list(Period.objects.order_by("order").values_list("order", flat=True))
    for key in ("teacher_id", "room_id"):
        taken = Counter((getattr(lesson, key), day, order) for lesson, day, order in _cells(lessons))
        assert max(taken.values()) == 1, key
    taken = Counter((lesson.offering.section_id, day, order) for lesson, day, order in _cells(lessons))
    assert max(taken.values()) == 1
    assert all(order in periods for _lesson, _day, order in _cells(lessons))
    assert {lesson.weekday for lesson in lessons} == {0, 1, 2, 3, 4}
    assert all(lesson.room_id for lesson in lessons)


def test_it_gives_the_demo_children_photos(seeded, media):
    children = Student.objects.filter(guardian_links__guardian__user__email=PARENT_EMAIL)
    for child in children:
        assert child.photo.name
        with default_storage.open(child.photo.name) as photo:
            assert photo.read(8) == b"\x89PNG\r\n\x1a\n"
        assert (media / child.photo.name).exists()


def test_it_lets_the_demo_teacher_sign_in_and_see_today(seeded, client):
    assert client.login(email=TEACHER_EMAIL, password=DEMO_PASSWORD)
    page = client.get("/").content.decode()
    homeroom = Section.objects.get(homeroom_teacher__user__email=TEACHER_EMAIL)
    assert homeroom.name in page
    assert "Acting as" in page  # the role switcher: teacher and parent
    if timezone.localdate().weekday() < 5:
        lesson = (
            Lesson.objects.in_effect_on(timezone.localdate())
            .filter(teacher__user__email=TEACHER_EMAIL)
            .first()
        )
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
            # The daily registers' records (the lesson registers follow the solver's layout: see below).
            list(
                AttendanceRecord.objects.filter(register__kind="daily")
                .order_by("date", "student__admission_number")
                .values_list("date", "student__admission_number", "status", "late_minutes", "reason")
            ),
            # The solver's layout is not reproducible (two workers, stopped by wall time): the lessons each
            # class has are.
            list(
                Lesson.objects.order_by("offering__section__name", "offering__subject__code", "length")
                .values_list("offering__section__name", "offering__subject__code", "length")
                .annotate(n=Count("id"))
            ),
            list(
                Mark.objects.order_by(
                    "assessment__date",
                    "assessment__offering__subject__code",
                    "assessment__name",
                    "student__admission_number",
                ).values_list(
                    "assessment__offering__section__name", "student__admission_number", "score", "code"
                )
            ),
            list(
                ExamSlot.objects.order_by("date", "start_time", "room__name").values_list(
                    "invigilator__staff_number"
                )
            ),
        )

    def seed_and_roll_back():
        with transaction.atomic():
            seed()
            raise Rollback(snapshot())

    with pytest.raises(Rollback) as rolled_back:
        seed_and_roll_back()
    first = rolled_back.value.args[0]
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
    assert not User.objects.filter(email=ADMIN_EMAIL).exists()


def test_it_rejects_an_unknown_size(db):
    with pytest.raises(CommandError, match="invalid choice"):
        seed("huge")


# --- attendance history ------------------------------------------------------------------------------------


# A Wednesday in the autumn term: the checks do not depend on the day they run.
TODAY = datetime.date(2026, 11, 18)


@pytest.fixture(scope="class")
def history(django_db_setup, django_db_blocker, tmp_path_factory):
    """One small demo school, loaded as if on TODAY, shared by the read-only attendance checks below
    (seeding takes seconds); rolled back after the last of them."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    with django_db_blocker.unblock(), media, transaction.atomic():
        demo_seed.demo_school_seed(size="small", today=TODAY)
        yield
        transaction.set_rollback(True)


def lesson_grade_ids() -> list[int]:
    return list(GradeRegisterMode.objects.filter(mode="lesson").values_list("grade_level", flat=True))


def term_so_far() -> tuple[Term, list[datetime.date]]:
    """The current term and its school days before TODAY."""
    term = Term.objects.get(start_date__lte=TODAY, end_date__gte=TODAY)
    closed = CalendarEvent.objects.closures()
    days, day = [], term.start_date
    while day < TODAY:
        if day.weekday() < 5 and not closed.on(day).exists():
            days.append(day)
        day += datetime.timedelta(days=1)
    return term, days


@pytest.mark.usefixtures("history", "db")
class TestAttendanceHistory:
    def test_it_submits_a_register_for_every_past_school_day_of_the_term(self):
        today = TODAY
        term, days = term_so_far()
        assert days, "the demo year has started: there is a history to show"
        submitted = Register.objects.filter(state=RegisterState.SUBMITTED)
        assert sorted(set(submitted.values_list("date", flat=True))) == days
        assert all(is_school_day(day) for day in days)
        upper = lesson_grade_ids()
        sections = Section.objects.filter(year__is_current=True)
        daily, per_lesson = sections.exclude(grade_level__in=upper), sections.filter(grade_level__in=upper)
        assert daily.exists()
        assert per_lesson.exists()
        # The daily grades: one register a day, by the homeroom teacher.
        daily_registers = submitted.filter(section__in=daily)
        assert daily_registers.count() == daily.count() * len(days)
        assert set(daily_registers.values_list("kind", flat=True)) == {"daily"}
        assert not daily_registers.exclude(submitted_by=F("section__homeroom_teacher__user")).exists()
        # The per-lesson grades (the small school's history is this term's): a register per lesson of the
        # timetable, by the lesson's teacher.
        theirs = submitted.filter(section__in=per_lesson)
        assert set(theirs.values_list("kind", flat=True)) == {"lesson"}
        for day in days:
            lessons = Lesson.objects.in_effect_on(day).filter(offering__section__in=per_lesson)
            expected = {(lesson.offering_id, lesson.period_id, lesson.teacher.user_id) for lesson in lessons}
            found = set(theirs.filter(date=day).values_list("offering_id", "period_id", "submitted_by"))
            assert found == expected, day
        assert not submitted.filter(submitted_at__isnull=True).exists()
        # Nothing today or later is submitted; nothing before the term, on a weekend or a closure.
        assert not submitted.filter(date__gte=today).exists()
        assert not Register.objects.filter(date__lt=term.start_date).exists()
        assert not Register.objects.filter(date__gt=today).exists()
        assert {d.weekday() for d in Register.objects.values_list("date", flat=True)} <= {0, 1, 2, 3, 4}
        for event in CalendarEvent.objects.closures():
            assert not Register.objects.filter(date__range=(event.start_date, event.end_date)).exists()

    def test_it_takes_registers_per_lesson_in_the_upper_half_of_the_grades(self):
        grades = list(GradeLevel.objects.order_by("order"))
        assert AttendancePolicy.load().mode == "daily"
        assert dict(GradeRegisterMode.objects.values_list("grade_level", "mode")) == {
            grade.pk: "lesson" for grade in grades[len(grades) // 2 :]
        }

    def test_it_writes_one_record_per_enrolled_student_per_register(self):
        enrolled_since: dict[int, list[datetime.date]] = defaultdict(list)
        for section_id, since in Enrollment.objects.filter(year__is_current=True).values_list(
            "section_id", "enrolled_on"
        ):
            enrolled_since[section_id].append(since)
        counts = Register.objects.filter(state=RegisterState.SUBMITTED).annotate(n=Count("records"))
        for section_id, day, n in counts.values_list("section_id", "date", "n"):
            assert n == sum(1 for since in enrolled_since[section_id] if since <= day), (section_id, day)
        assert not AttendanceRecord.objects.exclude(date=F("register__date")).exists()
        pairs = AttendanceRecord.objects.values("register", "student").annotate(n=Count("id"))
        assert not pairs.filter(n__gt=1).exists()
        submitted = AttendanceRecord.objects.filter(register__state=RegisterState.SUBMITTED)
        assert not submitted.exclude(marked_by=F("register__submitted_by")).exists()

    def test_it_leaves_today_partly_taken_and_the_demo_teachers_registers_open(self):
        today = TODAY
        registers = Register.objects.filter(date=today)
        upper = lesson_grade_ids()
        sections = Section.objects.filter(year__is_current=True)
        daily = registers.filter(kind="daily")
        assert set(daily.values_list("section", flat=True)) == set(
            sections.exclude(grade_level__in=upper).values_list("pk", flat=True)
        )
        lessons = Lesson.objects.in_effect_on(today).filter(offering__section__grade_level__in=upper)
        assert set(registers.filter(kind="lesson").values_list("offering", "period")) == set(
            lessons.values_list("offering", "period")
        )
        assert not registers.filter(state=RegisterState.SUBMITTED).exists()
        mine = daily.get(section__homeroom_teacher__user__email=TEACHER_EMAIL)
        assert mine.state == RegisterState.NOT_TAKEN
        assert not mine.records.exists()
        my_lessons = registers.filter(kind="lesson", offering__teacher__user__email=TEACHER_EMAIL)
        assert my_lessons.exists(), "the demo teacher teaches a per-lesson grade today"
        assert set(my_lessons.values_list("state", flat=True)) == {RegisterState.NOT_TAKEN}
        states = Counter(registers.values_list("state", flat=True))
        assert states[RegisterState.IN_PROGRESS] >= 3
        assert states[RegisterState.NOT_TAKEN] >= 2
        for register in registers.filter(state=RegisterState.IN_PROGRESS).annotate(n=Count("records")):
            assert 0 < register.n < register.section.enrollments.count()

    def test_it_mixes_the_statuses_as_designed(self):
        # The marks that count: each grade's kind of register (a lesson grade's older daily ones do not).
        past = session_records(datetime.date.min, TODAY)
        total = past.count()
        share = {status: n / total for status, n in Counter(past.values_list("status", flat=True)).items()}
        assert 0.92 <= share[AttendanceStatus.PRESENT] <= 0.97
        for status in (AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED, AttendanceStatus.LATE):
            assert 0.01 <= share[status] <= 0.05, status
        late = past.filter(status=AttendanceStatus.LATE)
        assert not late.filter(Q(late_minutes__isnull=True) | Q(late_minutes__lt=1)).exists()
        assert not late.filter(late_minutes__gt=60).exists()
        assert not past.exclude(status=AttendanceStatus.LATE).filter(late_minutes__isnull=False).exists()
        assert not past.filter(status=AttendanceStatus.EXCUSED, reason="").exists()
        assert past.filter(status=AttendanceStatus.EXCUSED).values("reason").distinct().count() >= 4

        per_student = past.values("student").annotate(
            days=Count("id"),
            present=Count("id", filter=Q(status=AttendanceStatus.PRESENT)),
            missed=Count("id", filter=Q(status__in=[AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED])),
        )
        present = sorted(row["present"] / row["days"] for row in per_student)
        missed = [row["missed"] / row["days"] for row in per_student]
        assert 0.94 <= present[len(present) // 2] <= 0.98  # the typical student: about 95% present
        # Chronic absentees: about 5% of the 300, plus some of the pattern students (36 and 38 in two runs of
        # the demo, over 40 in one: the per-lesson grades' marks follow the solver's layout, which varies).
        assert 10 <= sum(1 for m in missed if m >= 0.10) <= 45
        assert sum(1 for m in missed if m == 0) >= 10  # some never miss a day

    def test_it_gives_the_demo_teachers_homeroom_explainable_patterns(self):
        _term, days = term_so_far()
        index = {day: n for n, day in enumerate(days)}
        homeroom = Section.objects.get(year__is_current=True, homeroom_teacher__user__email=TEACHER_EMAIL)
        marks: dict[int, list[tuple[datetime.date, str]]] = defaultdict(list)
        records = AttendanceRecord.objects.filter(
            register__section=homeroom, register__state=RegisterState.SUBMITTED
        ).order_by("date")
        for student_id, day, status in records.values_list("student_id", "date", "status"):
            marks[student_id].append((day, status))

        def longest_run_of_absences(rows) -> int:
            best = run = 0
            for n, (day, status) in enumerate(rows):
                consecutive = n and index[rows[n - 1][0]] == index[day] - 1
                run = (run + 1 if consecutive else 1) if status == AttendanceStatus.ABSENT else 0
                best = max(best, run)
            return best

        def absences_on_one_weekday(rows) -> int:
            weekdays = Counter(day.weekday() for day, status in rows if status == AttendanceStatus.ABSENT)
            return max(weekdays.values(), default=0)

        def rising_lateness(rows) -> bool:
            half = len(rows) // 2
            first = sum(1 for _day, status in rows[:half] if status == AttendanceStatus.LATE)
            second = sum(1 for _day, status in rows[half:] if status == AttendanceStatus.LATE)
            return second >= first + 4

        def chronic(rows) -> bool:
            missed = sum(1 for _day, s in rows if s in (AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED))
            return missed >= 0.10 * len(rows)

        assert any(longest_run_of_absences(rows) >= 3 for rows in marks.values())
        assert any(absences_on_one_weekday(rows) >= 5 for rows in marks.values())
        assert any(rising_lateness(rows) for rows in marks.values())
        assert any(chronic(rows) for rows in marks.values())


def test_it_adds_last_year_when_the_large_school_has_too_short_a_history(db, media, monkeypatch):
    # The large school's path on a school small enough for a test: this year so far is under the minimum.
    tiny = DemoSize(
        name="large",
        grades=(6, 7, 8),
        section_letters="AB",
        students=90,
        staff=12,
        administrators=2,
        bursars=1,
        guardian_login_share=0.5,
        photos_for_all=False,
    )
    monkeypatch.setitem(SIZES, "large", tiny)
    demo_seed.demo_school_seed(size="large", today=TODAY)

    this_year, last_year = AcademicYear.objects.order_by("-start_date")
    assert this_year.is_current
    assert not last_year.is_current
    assert (last_year.start_date, last_year.end_date) == (
        datetime.date(2025, 8, 15),
        datetime.date(2026, 7, 15),
    )
    assert Term.objects.filter(year=last_year).count() == 3
    # Last year's sections are one grade lower, holding this year's students who were already at the school.
    assert sorted(Section.objects.filter(year=last_year).values_list("name", flat=True)) == [
        "6A",
        "6B",
        "7A",
        "7B",
    ]
    moved = Enrollment.objects.filter(year=last_year).select_related("section__grade_level", "student")
    assert moved.exists()
    for enrollment in moved:
        now_in = Enrollment.objects.get(year=this_year, student=enrollment.student).section
        assert now_in.name == f"{enrollment.section.grade_level.order + 1}{enrollment.section.name[-1]}"
        assert enrollment.student.admission_date < this_year.start_date
    assert not Enrollment.objects.filter(year=last_year, section__grade_level__order=8).exists()

    # A full year of submitted registers, on its school days only, each student from their enrolment on.
    registers = Register.objects.filter(section__year=last_year)
    assert not registers.exclude(state=RegisterState.SUBMITTED).exists()
    days = sorted(set(registers.values_list("date", flat=True)))
    assert len(days) > 180
    assert all(is_school_day(day) for day in days[::10])
    assert all(any(t.start_date <= day <= t.end_date for t in last_year.terms.all()) for day in days)
    assert registers.count() == 4 * len(days)
    assert not AttendanceRecord.objects.filter(
        register__section__year=last_year,
        student__enrollments__year=last_year,
        date__lt=F("student__enrollments__enrolled_on"),
    ).exists()
    since = list(moved.values_list("enrolled_on", flat=True))
    expected = sum(1 for day in days for enrolled_on in since if enrolled_on <= day)
    assert AttendanceRecord.objects.filter(register__section__year=last_year).count() == expected
    assert AttendanceRecord.objects.filter(register__section__year=this_year).exists()


# --- grades ------------------------------------------------------------------------------------------------


# A Wednesday in the spring term: the autumn term is over (full set, comments, locked), spring is under way.
SPRING_DAY = datetime.date(2027, 2, 10)


@pytest.fixture(scope="class")
def grades_school(django_db_setup, django_db_blocker, tmp_path_factory):
    """One small demo school loaded as if on SPRING_DAY, the grades step run on its own to time it and count
    its queries; shared by the read-only checks below and rolled back after the last of them."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    with django_db_blocker.unblock(), media, transaction.atomic():
        # Without the homework step either: it reads the grades (and adds the assignments' own assessments,
        # which tests/demo/test_seed_demo_homework.py checks); these checks are of the grades alone.
        steps = [s for s in demo_seed.SEED_STEPS if s not in (seed_grades, seed_assignments)]
        with patch.object(demo_seed, "SEED_STEPS", steps):
            ctx = demo_seed.demo_school_seed(size="small", today=SPRING_DAY)
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            seed_grades(ctx)
        yield {"seconds": time.perf_counter() - started, "queries": len(queries)}
        transaction.set_rollback(True)


def autumn_and_spring() -> tuple[Term, Term]:
    terms = Term.objects.filter(year__is_current=True).order_by("start_date")
    return terms[0], terms[1]


@pytest.mark.usefixtures("db")
class TestGrades:
    def test_it_seeds_in_bulk_and_fast(self, grades_school):
        assert grades_school["seconds"] < 15  # about 1.5 s on a quiet laptop
        # Batches, not rows: ~40,000 marks and ~1,700 assessments in well under a hundred queries.
        assert Mark.objects.count() > 30_000
        assert grades_school["queries"] < 100

    def test_it_sets_up_the_default_scale_and_one_for_the_youngest_grade(self, grades_school):
        default = GradingScale.objects.get(grade_level__isnull=True)
        assert default.pass_mark == 60
        assert list(
            default.bands.order_by("-min_percent").values_list("letter", "min_percent", "gpa_points")
        ) == [
            ("A", 90, 4),
            ("B", 80, 3),
            ("C", 70, 2),
            ("D", 60, 1),
            ("F", 0, 0),
        ]
        assert default.bands.get(letter="D").descriptor == "Needs improvement"
        own = GradingScale.objects.get(grade_level__isnull=False)
        assert own.grade_level.name == "Grade 6"
        assert own.bands.count() == 4
        assert own.bands.filter(min_percent=0).exists()

    def test_it_weights_most_classes_and_grades_a_few_in_plain_points(self, grades_school):
        offerings = CourseOffering.objects.filter(section__year__is_current=True)
        weighted = offerings.filter(assessment_categories__isnull=False).distinct()
        for offering in weighted.prefetch_related("assessment_categories"):
            categories = {c.name: c.weight for c in offering.assessment_categories.all()}
            assert categories == {"Homework": 20, "Quizzes": 30, "Tests": 50}
        plain = offerings.filter(assessment_categories__isnull=True)
        assert set(plain.values_list("subject__code", flat=True)) == {"PE"}
        assert 0 < plain.count() < weighted.count() / 4
        assessments = Assessment.objects.all()
        assert not assessments.filter(offering__in=plain, category__isnull=False).exists()
        assert not assessments.filter(offering__in=weighted, category__isnull=True).exists()
        assert (
            not assessments.exclude(category__isnull=True).exclude(category__offering=F("offering")).exists()
        )

    def test_it_gives_a_full_past_term_and_the_current_term_so_far(self, grades_school):
        autumn, spring = autumn_and_spring()
        assert not Assessment.objects.exclude(term__in=[autumn, spring]).exists()
        assert not Assessment.objects.filter(date__gte=SPRING_DAY).exists()
        assert not Assessment.objects.exclude(
            date__gte=F("term__start_date"), date__lte=F("term__end_date")
        ).exists()
        offerings = CourseOffering.objects.filter(section__year__is_current=True).count()
        autumn_kinds = Counter(Assessment.objects.filter(term=autumn).values_list("kind", flat=True))
        assert autumn_kinds == {"homework": 6 * offerings, "quiz": 4 * offerings, "test": 2 * offerings}
        so_far = Assessment.objects.filter(term=spring).values("offering").annotate(n=Count("id"))
        assert len(so_far) == offerings
        assert all(3 <= row["n"] < 12 for row in so_far)
        assert {"homework", "quiz", "test"} <= set(
            Assessment.objects.filter(term=spring).values_list("kind", flat=True)
        )

    def test_it_publishes_everything_but_each_class_newest_assessment(self, grades_school):
        autumn, spring = autumn_and_spring()
        assert not Assessment.objects.filter(term=autumn, published_at__isnull=True).exists()
        unpublished = Assessment.objects.filter(published_at__isnull=True)
        assert unpublished.count() == CourseOffering.objects.filter(section__year__is_current=True).count()
        assert set(unpublished.values_list("term", flat=True)) == {spring.pk}
        for assessment in unpublished:
            later = Assessment.objects.filter(
                offering=assessment.offering_id, term=spring, date__gt=assessment.date
            )
            assert not later.exists()
        published = Assessment.objects.filter(published_at__isnull=False)
        assert all(a.published_at.date() < SPRING_DAY for a in published)
        assert all(timezone.localdate(a.published_at) >= a.date for a in published)
        assert not Mark.objects.filter(assessment__published_at__lt=F("entered_at")).exists()

    def test_it_marks_every_enrolled_student_within_the_maximum(self, grades_school):
        enrolled: dict[int, list[datetime.date]] = defaultdict(list)
        for section_id, since in Enrollment.objects.filter(year__is_current=True).values_list(
            "section_id", "enrolled_on"
        ):
            enrolled[section_id].append(since)
        per_assessment = Assessment.objects.annotate(n=Count("marks")).values_list(
            "offering__section", "date", "n"
        )
        for section_id, day, n in per_assessment:
            assert n == sum(1 for since in enrolled[section_id] if since <= day)
        marks = Mark.objects.all()
        assert not marks.exclude(max_score=F("assessment__max_score")).exists()
        assert not marks.filter(score__gt=F("max_score")).exists()
        assert not marks.filter(score__lt=0).exists()
        assert not marks.exclude(student__enrollments__section=F("assessment__offering__section")).exists()

    def test_it_mixes_realistic_scores_and_a_few_codes(self, grades_school):
        total = Mark.objects.count()
        codes = Counter(Mark.objects.exclude(code="").values_list("code", flat=True))
        assert set(codes) == {"ex", "m", "abs"}
        assert 0.01 <= sum(codes.values()) / total <= 0.05
        assert not Mark.objects.filter(code="m").exclude(assessment__kind="homework").exists()
        assert not Mark.objects.filter(code="abs", assessment__kind="homework").exists()
        shares = sorted(
            float(score / top)
            for score, top in Mark.objects.filter(code="").values_list("score", "max_score")
        )
        median = shares[len(shares) // 2]
        assert 0.65 <= median <= 0.85
        assert 0.03 <= sum(1 for s in shares if s < 0.6) / len(shares) <= 0.35
        assert 0.05 <= sum(1 for s in shares if s >= 0.9) / len(shares) <= 0.35
        # Some students do well everywhere, some struggle: averages differ between students.
        per_student = [
            row["got"] / row["of"]
            for row in Mark.objects.filter(code="")
            .values("student")
            .annotate(got=Sum("score"), of=Sum("max_score"))
        ]
        assert max(per_student) - min(per_student) > 0.3

    def test_it_comments_on_the_past_term_and_locks_it(self, grades_school):
        autumn, spring = autumn_and_spring()
        assert not TermComment.objects.filter(term=spring).exists()
        comments = TermComment.objects.filter(term=autumn)
        students = Student.objects.count()
        subject = comments.filter(kind="subject")
        assert subject.count() == 8 * students  # every class of the student's section
        assert not subject.exclude(author=F("offering__teacher__user")).exists()
        assert not subject.exclude(offering__section__enrollments__student=F("student")).exists()
        homeroom = comments.filter(kind="homeroom")
        assert homeroom.count() == students
        homeroom_teacher = dict(
            Enrollment.objects.filter(year__is_current=True).values_list(
                "student_id", "section__homeroom_teacher__user_id"
            )
        )
        assert all(homeroom_teacher[s] == a for s, a in homeroom.values_list("student_id", "author_id"))
        principal = comments.filter(kind="principal")
        assert principal.count() == students
        assert set(principal.values_list("author__staff_profile__position", flat=True)) == {
            Position.ADMINISTRATOR
        }
        assert comments.values("text").distinct().count() >= 20
        for comment in comments.select_related("student")[:200]:
            assert comment.student.first_name in comment.text

        status = TermStatus.objects.get()
        assert status.term == autumn
        assert status.results_published_at is not None
        assert status.locked_at is not None
        assert (
            autumn.end_date
            < timezone.localdate(status.results_published_at)
            <= timezone.localdate(status.locked_at)
            < SPRING_DAY
        )
        assert status.locked_by.staff_profile.position == Position.ADMINISTRATOR

    def test_it_publishes_a_clash_free_exam_timetable(self, grades_school):
        _autumn, spring = autumn_and_spring()
        period = ExamPeriod.objects.get()
        assert period.term == spring
        assert period.is_published
        assert SPRING_DAY < period.start_date <= period.end_date <= spring.end_date
        slots = list(
            ExamSlot.objects.filter(period=period).select_related("subject").prefetch_related("sections")
        )
        sections = Section.objects.filter(year__is_current=True)
        assert len(slots) == sections.count() * len(EXAM_SUBJECTS)
        taught = set(
            CourseOffering.objects.filter(section__year__is_current=True).values_list(
                "section_id", "subject_id", "teacher_id"
            )
        )
        subjects_of = defaultdict(set)
        for slot in slots:
            assert period.start_date <= slot.date <= period.end_date
            assert slot.room_id
            assert slot.invigilator_id
            for section in slot.sections.all():
                subjects_of[section.pk].add(slot.subject.code)
                assert (section.pk, slot.subject_id, slot.invigilator_id) not in taught
                assert any(s == section.pk and subj == slot.subject_id for s, subj, _t in taught)
        assert all(codes == set(EXAM_SUBJECTS) for codes in subjects_of.values())
        assert len(subjects_of) == sections.count()

        def interval(slot):
            start = datetime.datetime.combine(slot.date, slot.start_time)
            return start, start + datetime.timedelta(minutes=slot.duration_minutes)

        for n, one in enumerate(slots):
            for other in slots[n + 1 :]:
                (a_start, a_end), (b_start, b_end) = interval(one), interval(other)
                if not (a_start < b_end and b_start < a_end):
                    continue
                assert one.room_id != other.room_id
                assert one.invigilator_id != other.invigilator_id
                assert not {s.pk for s in one.sections.all()} & {s.pk for s in other.sections.all()}


@pytest.mark.usefixtures("history", "db")
class TestGradesInTheFirstTerm:
    def test_it_grades_the_term_so_far_with_nothing_to_comment_or_lock_yet(self):
        term = Term.objects.get(start_date__lte=TODAY, end_date__gte=TODAY)
        assert set(Assessment.objects.values_list("term", flat=True)) == {term.pk}
        # Only homework set for the coming days has a gradebook column dated after today (its due date).
        assert not Assessment.objects.filter(date__gte=TODAY, assignment__isnull=True).exists()
        assert Mark.objects.exists()
        assert not TermComment.objects.exists()
        assert not TermStatus.objects.exists()
        period = ExamPeriod.objects.get()
        assert period.term == term
        assert period.is_published
        assert period.start_date > TODAY


def test_it_bills_the_started_instalments_and_records_a_payment_history(seeded, client):
    from modules.fees.models import FeeStructure, Invoice, InvoiceStatus, Payment

    year = AcademicYear.objects.get(is_current=True)
    started = Term.objects.filter(year=year, start_date__lte=timezone.localdate()).count()
    assert FeeStructure.objects.filter(year=year).count() == 4  # one per grade level
    assert Invoice.objects.count() == 300 * started  # every enrolled student, each started instalment
    # The books agree: every invoice's paid amount is what was allocated to it, payments fully allocated.
    assert (
        not Invoice.objects.annotate(a=Sum("allocations__amount"))
        .exclude(amount_paid=F("a"))
        .filter(amount_paid__gt=0)
    )
    assert not Payment.objects.exclude(amount=F("amount_allocated")).exists()
    statuses = Counter(Invoice.objects.values_list("status", flat=True))
    assert statuses[InvoiceStatus.PAID] > statuses[InvoiceStatus.OPEN] > 0
    assert {"cash", "bank", "cheque", "card"} <= set(Payment.objects.values_list("method", flat=True))
    receipts = list(Payment.objects.order_by("receipt_number").values_list("received_on", flat=True))
    assert receipts == sorted(receipts)  # numbered in date order, without gaps
    assert Payment.objects.order_by("-receipt_number").first().receipt_number.endswith(f"{len(receipts):05d}")
    # The demo parent has something to pay.
    parent = User.objects.get(email="parent@demo.school")
    open_for_parent = Invoice.objects.filter(
        student__guardian_links__guardian__user=parent, status=InvoiceStatus.OPEN
    )
    assert open_for_parent.count() == 3


def test_its_attendance_tallies_and_patterns_are_ready_for_the_reports(seeded):
    from modules.attendance.models import PatternSnapshot, Register, RegisterState
    from modules.attendance.services import tallies_rebuild

    submitted = Register.objects.filter(state=RegisterState.SUBMITTED)
    assert submitted.exists()
    assert not submitted.filter(tally__isnull=True).exists()  # the reports never fall back to the records
    assert tallies_rebuild() == 0  # a recount finds nothing missing or wrong
    assert PatternSnapshot.objects.filter(as_of=timezone.localdate()).exists()
