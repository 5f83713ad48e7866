"""The demo school: a realistic, deterministic school loaded in bulk (`manage.py seed_demo`).

Each module seeds its own part in a separate function (`seed_core`, `seed_academics_structure`, ...), run in
order by `demo_school_seed`. A later module (attendance, fees, exams) adds its function to `SEED_STEPS`; the
state built so far (sections, teachers, students, ...) is on the `DemoContext` it receives.

Everything is written with bulk_create / bulk_update: one password hash for every login, no query per row.
"""

from __future__ import annotations

import bisect
import datetime
import io
import os
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from faker import Faker

from modules.academics.models import (
    AcademicYear,
    CalendarEvent,
    CalendarEventKind,
    CourseOffering,
    Enrollment,
    EnrollmentStatus,
    GradeLevel,
    Period,
    Room,
    Section,
    Subject,
    Term,
    TimetableEntry,
)
from modules.accounts.groups import group_for
from modules.accounts.models import User
from modules.attendance.models import (
    AttendancePolicy,
    AttendanceRecord,
    AttendanceStatus,
    Register,
    RegisterMode,
    RegisterState,
)
from modules.core.models import SchoolProfile
from modules.exams.grading import AssessmentInfo, MarkValue, weighted_percent
from modules.exams.models import (
    Assessment,
    AssessmentCategory,
    AssessmentKind,
    CommentKind,
    ExamPeriod,
    ExamSlot,
    GradeBand,
    GradingScale,
    Mark,
    MarkCode,
    TermComment,
    TermStatus,
)
from modules.fees.demo import seed_fees
from modules.people.models import Gender, Guardian, GuardianLink, Position, Relationship, Staff, Student

DEMO_PASSWORD = "studentflow-demo"
ADMIN_EMAIL = "admin@demo.school"
TEACHER_EMAIL = "teacher@demo.school"
PARENT_EMAIL = "parent@demo.school"
STUDENT_EMAIL = "student@demo.school"
BURSAR_EMAIL = "bursar@demo.school"
DEMO_LOGINS: list[tuple[str, str]] = [
    (ADMIN_EMAIL, "administrator (school office)"),
    (TEACHER_EMAIL, "teacher, homeroom of one section, also a parent (role switcher)"),
    (PARENT_EMAIL, "parent of three children in different sections"),
    (STUDENT_EMAIL, "student, one of the parent's children"),
    (BURSAR_EMAIL, "bursar (fees)"),
]
DEFAULT_SEED = 2026
WEEKDAYS = range(5)  # Monday to Friday

# Settings modules allowed to load the demo even with DEBUG off. Anything ending in ".production" never is.
NON_PRODUCTION_SETTINGS = {"portal.settings.development", "portal.settings.testing", "portal.settings.bench"}

LOCALES = ["en_US", "es_ES", "fr_FR"]
LOCALE_WEIGHTS = [60, 25, 15]
LANGUAGE_OF_LOCALE = {"en_US": "en", "es_ES": "es", "fr_FR": "fr"}

# (name, code, lessons a week). Every section takes the core, one modern language and one of the arts.
CORE_SUBJECTS = [
    ("Mathematics", "MATH", 5),
    ("English", "ENG", 5),
    ("Science", "SCI", 4),
    ("History", "HIST", 3),
    ("Geography", "GEO", 3),
    ("Physical Education", "PE", 3),
]
LANGUAGE_SUBJECTS = [("Spanish", "SPA", 4), ("French", "FRE", 4)]
ARTS_SUBJECTS = [("Art", "ART", 2), ("Music", "MUS", 2)]
ALL_SUBJECTS = CORE_SUBJECTS + LANGUAGE_SUBJECTS + ARTS_SUBJECTS + [("Computing", "COMP", 2)]

BELL_SCHEDULE = [
    ("Period 1", datetime.time(8, 30), datetime.time(9, 15)),
    ("Period 2", datetime.time(9, 20), datetime.time(10, 5)),
    ("Period 3", datetime.time(10, 25), datetime.time(11, 10)),
    ("Period 4", datetime.time(11, 15), datetime.time(12, 0)),
    ("Period 5", datetime.time(12, 50), datetime.time(13, 35)),
    ("Period 6", datetime.time(13, 40), datetime.time(14, 25)),
    ("Period 7", datetime.time(14, 30), datetime.time(15, 15)),
]
SHARED_ROOMS = [
    ("Science Lab", 30),
    ("Sports Hall", 120),
    ("Library", 60),
    ("Art Studio", 30),
    ("Music Room", 30),
]


class DemoSchoolError(Exception):
    """The demo cannot be loaded here (production settings, or a database that already holds a school)."""


@dataclass(frozen=True)
class DemoSize:
    name: str
    grades: tuple[int, ...]
    section_letters: str
    students: int
    staff: int
    administrators: int
    bursars: int
    guardian_login_share: float  # share of guardians who get a login
    photos_for_all: bool  # small: every child has a photo; large: only the demo families

    @property
    def teachers(self) -> int:
        return self.staff - self.administrators - self.bursars


SIZES: dict[str, DemoSize] = {
    "small": DemoSize(
        name="small",
        grades=(6, 7, 8, 9),
        section_letters="ABC",
        students=300,
        staff=25,
        administrators=2,
        bursars=2,
        guardian_login_share=1.0,
        photos_for_all=True,
    ),
    "large": DemoSize(
        name="large",
        grades=(3, 4, 5, 6, 7, 8, 9, 10, 11, 12),
        section_letters="ABCDEFGHIJ",
        students=3000,
        staff=150,
        administrators=4,
        bursars=3,
        guardian_login_share=0.85,
        photos_for_all=False,
    ),
}


@dataclass
class DemoContext:
    """What the seeding steps share: the randomness, the date, and every row created so far."""

    size: DemoSize
    today: datetime.date
    rng: random.Random
    faker: Faker
    password_hash: str
    year: AcademicYear | None = None
    terms: list[Term] = field(default_factory=list)
    grade_levels: dict[int, GradeLevel] = field(default_factory=dict)
    subjects: dict[str, Subject] = field(default_factory=dict)  # by code
    lessons_per_week: dict[str, int] = field(default_factory=dict)  # by subject code
    rooms: list[Room] = field(default_factory=list)  # one classroom per section, then the shared rooms
    periods: list[Period] = field(default_factory=list)
    administrators: list[Staff] = field(default_factory=list)
    bursars: list[Staff] = field(default_factory=list)
    teachers: list[Staff] = field(default_factory=list)
    teacher_genders: dict[int, str] = field(default_factory=dict)  # staff pk -> Gender
    sections: list[Section] = field(default_factory=list)
    offerings: list[CourseOffering] = field(default_factory=list)
    students: list[Student] = field(default_factory=list)
    guardians: list[Guardian] = field(default_factory=list)
    families: list[Family] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    used_emails: set[str] = field(default_factory=set)

    def fake(self, locale: str = "en_US"):
        return self.faker[locale]

    def pick_locale(self) -> str:
        return self.rng.choices(LOCALES, weights=LOCALE_WEIGHTS)[0]

    def unique_email(self, first: str, last: str, domain: str) -> str:
        base = f"{slugify(first)}.{slugify(last)}".strip(".") or "person"
        email, n = f"{base}@{domain}", 1
        while email in self.used_emails:
            n += 1
            email = f"{base}{n}@{domain}"
        self.used_emails.add(email)
        return email

    def new_user(self, *, email: str, first_name: str, last_name: str, language: str = "en", **extra) -> User:
        self.used_emails.add(email)
        return User(
            email=email.lower(),
            first_name=first_name,
            last_name=last_name,
            language=language,
            password=self.password_hash,
            **extra,
        )


@dataclass
class Family:
    last_name: str
    locale: str
    children: list[Student] = field(default_factory=list)
    guardians: list[tuple[Guardian, str]] = field(default_factory=list)  # (guardian, relationship)


# --- rules ---------------------------------------------------------------------------------------------


def demo_refusal_reason() -> str | None:
    """Why the demo must not be loaded under the current settings, or None when it may.

    Refused: any settings module ending in ".production"; and, with DEBUG off, any settings module other
    than development, testing or bench (a custom production configuration).
    """
    module = getattr(settings, "SETTINGS_MODULE", None) or os.environ.get("DJANGO_SETTINGS_MODULE", "")
    if module.endswith(".production"):
        return f"The demo school is never loaded under production settings ({module})."
    if not settings.DEBUG and module not in NON_PRODUCTION_SETTINGS:
        return (
            f"DEBUG is off and {module or 'the settings module'} is not a development, testing or bench "
            "configuration: refusing to load demo data."
        )
    return None


def demo_school_exists() -> bool:
    return User.objects.filter(email=ADMIN_EMAIL).exists()


def academic_year_bounds(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The school year (15 August to 15 July) that contains today, or the next one during the summer."""
    start_year = today.year if (today.month, today.day) >= (7, 16) else today.year - 1
    return datetime.date(start_year, 8, 15), datetime.date(start_year + 1, 7, 15)


# --- the entry point -------------------------------------------------------------------------------------

SeedStep = Callable[[DemoContext], None]


@transaction.atomic
def demo_school_seed(
    *,
    size: str = "small",
    today: datetime.date | None = None,
    seed: int = DEFAULT_SEED,
    report: Callable[[str], None] | None = None,
) -> DemoContext:
    """Load the demo school into an empty database. Raises DemoSchoolError when it may not."""
    reason = demo_refusal_reason()
    if reason:
        raise DemoSchoolError(reason)
    if Section.objects.exists() or Student.objects.exists() or Staff.objects.exists():
        raise DemoSchoolError(
            "This database already holds a school (sections, students or staff): "
            "the demo school is loaded into an empty database only."
        )
    faker = Faker(LOCALES)
    faker.seed_instance(seed)
    ctx = DemoContext(
        size=SIZES[size],
        today=today or timezone.localdate(),
        rng=random.Random(seed),
        faker=faker,
        # One hash for every demo login: hashing is deliberately slow, thousands of them would take minutes.
        password_hash=make_password(DEMO_PASSWORD),
    )
    for step in SEED_STEPS:
        started = time.perf_counter()
        step(ctx)
        if report is not None:
            report(f"  {step.__name__:<28} {time.perf_counter() - started:6.2f} s")
    return ctx


# --- core ----------------------------------------------------------------------------------------------


def seed_core(ctx: DemoContext) -> None:
    profile = SchoolProfile.load()
    profile.name = "Riverside International School"
    profile.short_name = "Riverside"
    profile.address = "1200 Riverside Avenue\nSpringfield, OR 97477\nUnited States"
    profile.phone = "+1 541 555 0142"
    profile.email = "office@demo.school"
    profile.website = "https://demo.school"
    profile.currency = "USD"
    profile.save()


# --- academics: year, calendar, bell schedule, subjects, rooms -------------------------------------------


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> datetime.date:
    """The n-th given weekday of a month (n=-1: the last one)."""
    if n > 0:
        first = datetime.date(year, month, 1)
        return first + datetime.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    following = datetime.date(year + (month == 12), month % 12 + 1, 1)
    last = following - datetime.timedelta(days=1)
    return last - datetime.timedelta(days=(last.weekday() - weekday) % 7)


def _calendar_events(start: datetime.date) -> list[CalendarEvent]:
    y, n = start.year, start.year + 1
    thanksgiving = _nth_weekday(y, 11, 3, 4)
    kinds = CalendarEventKind
    events = [
        ("Labor Day", kinds.HOLIDAY, _nth_weekday(y, 9, 0, 1), None),
        ("Indigenous Peoples' Day", kinds.HOLIDAY, _nth_weekday(y, 10, 0, 2), None),
        ("Parent–teacher conferences", kinds.EVENT, _nth_weekday(y, 10, 3, 3), None),
        ("Thanksgiving break", kinds.HOLIDAY, thanksgiving, thanksgiving + datetime.timedelta(days=1)),
        # The breaks run from the day after one term ends to the day before the next starts (see _terms).
        ("Winter break", kinds.HOLIDAY, datetime.date(y, 12, 19), datetime.date(n, 1, 3)),
        ("Martin Luther King Jr. Day", kinds.HOLIDAY, _nth_weekday(n, 1, 0, 3), None),
        ("Staff training day (school closed)", kinds.CLOSURE, _nth_weekday(n, 2, 4, 2), None),
        ("Science fair", kinds.EVENT, _nth_weekday(n, 3, 3, 2), None),
        ("Spring break", kinds.HOLIDAY, datetime.date(n, 3, 27), datetime.date(n, 4, 11)),
        ("Memorial Day", kinds.HOLIDAY, _nth_weekday(n, 5, 0, -1), None),
    ]
    return [
        CalendarEvent(name=name, kind=kind, start_date=first, end_date=last or first)
        for name, kind, first, last in events
    ]


def _terms(year: AcademicYear) -> list[Term]:
    start, n = year.start_date, year.start_date.year + 1
    return [
        Term(year=year, name="Autumn term", start_date=start, end_date=datetime.date(start.year, 12, 18)),
        Term(
            year=year, name="Spring term", start_date=datetime.date(n, 1, 4), end_date=datetime.date(n, 3, 26)
        ),
        Term(year=year, name="Summer term", start_date=datetime.date(n, 4, 12), end_date=year.end_date),
    ]


def seed_academics_structure(ctx: DemoContext) -> None:
    start, end = academic_year_bounds(ctx.today)
    name = f"{start.year}-{end.year}"
    AcademicYear.objects.filter(is_current=True).exclude(name=name).update(is_current=False)
    ctx.year, _created = AcademicYear.objects.update_or_create(
        name=name, defaults={"start_date": start, "end_date": end, "is_current": True}
    )
    ctx.terms = Term.objects.bulk_create(_terms(ctx.year))
    # The demo is for trying the portal today: no event on today's date, so today is a school day.
    events = [e for e in _calendar_events(start) if not e.start_date <= ctx.today <= e.end_date]
    CalendarEvent.objects.bulk_create(events)

    existing_periods = {p.order: p for p in Period.objects.all()}
    Period.objects.bulk_create(
        [
            Period(name=name, order=order, start_time=starts, end_time=ends)
            for order, (name, starts, ends) in enumerate(BELL_SCHEDULE, start=1)
            if order not in existing_periods
        ]
    )
    ctx.periods = list(Period.objects.order_by("order")[: len(BELL_SCHEDULE)])

    existing_grades = {g.name: g for g in GradeLevel.objects.all()}
    GradeLevel.objects.bulk_create(
        [
            GradeLevel(name=f"Grade {g}", order=g)
            for g in ctx.size.grades
            if f"Grade {g}" not in existing_grades
        ]
    )
    by_name = {g.name: g for g in GradeLevel.objects.all()}
    ctx.grade_levels = {g: by_name[f"Grade {g}"] for g in ctx.size.grades}

    existing_subjects = set(Subject.objects.values_list("code", flat=True))
    Subject.objects.bulk_create(
        [Subject(name=name, code=code) for name, code, _n in ALL_SUBJECTS if code not in existing_subjects]
    )
    ctx.subjects = {s.code: s for s in Subject.objects.filter(code__in=[c for _n, c, _l in ALL_SUBJECTS])}
    ctx.lessons_per_week = {code: lessons for _n, code, lessons in ALL_SUBJECTS}

    section_count = len(ctx.size.grades) * len(ctx.size.section_letters)
    wanted = [(f"Room {101 + i}", 32) for i in range(section_count)] + SHARED_ROOMS
    existing_rooms = set(Room.objects.values_list("name", flat=True))
    Room.objects.bulk_create([Room(name=n, capacity=c) for n, c in wanted if n not in existing_rooms])
    rooms = {r.name: r for r in Room.objects.filter(name__in=[n for n, _c in wanted])}
    ctx.rooms = [rooms[n] for n, _c in wanted]
    ctx.counts.update(terms=len(ctx.terms), calendar_events=len(events), periods=len(ctx.periods))


# --- people: staff -------------------------------------------------------------------------------------

ADMIN_TITLES = ["Principal", "Deputy principal", "Registrar", "Office manager"]
BURSAR_TITLES = ["Bursar", "Finance assistant", "Accounts clerk"]


def seed_people_staff(ctx: DemoContext) -> None:
    """Administrators, bursars and teachers, each with a login in their position's group."""
    size = ctx.size
    plan = (
        [(Position.ADMINISTRATOR, ADMIN_TITLES[i % len(ADMIN_TITLES)]) for i in range(size.administrators)]
        + [(Position.BURSAR, BURSAR_TITLES[i % len(BURSAR_TITLES)]) for i in range(size.bursars)]
        + [(Position.TEACHER, "Teacher") for _i in range(size.teachers)]
    )
    demo_emails = {
        Position.ADMINISTRATOR: ADMIN_EMAIL,
        Position.BURSAR: BURSAR_EMAIL,
        Position.TEACHER: TEACHER_EMAIL,
    }
    users, staff, genders = [], [], []
    for number, (position, title) in enumerate(plan, start=1):
        fake = ctx.fake(ctx.pick_locale())
        gender = ctx.rng.choice([Gender.FEMALE, Gender.MALE])
        first = fake.first_name_female() if gender == Gender.FEMALE else fake.first_name_male()
        last = fake.last_name()
        email = demo_emails.pop(position, None) or ctx.unique_email(first, last, "demo.school")
        users.append(
            ctx.new_user(
                email=email, first_name=first, last_name=last, is_staff=position == Position.ADMINISTRATOR
            )
        )
        staff.append(
            Staff(
                first_name=first,
                last_name=last,
                email=email,
                phone=ctx.fake().phone_number(),
                staff_number=f"ST{number:04d}",
                position=position,
                job_title=title,
                hire_date=ctx.today - datetime.timedelta(days=ctx.rng.randint(60, 365 * 20)),
            )
        )
        genders.append(gender)
    User.objects.bulk_create(users)
    for member, user in zip(staff, users, strict=True):
        member.user = user
    Staff.objects.bulk_create(staff)
    groups = {position: group_for(position) for position in Position.values}
    Membership = User.groups.through
    Membership.objects.bulk_create(
        [Membership(user_id=m.user_id, group_id=groups[m.position].pk) for m in staff]
    )
    for member, gender in zip(staff, genders, strict=True):
        {
            Position.ADMINISTRATOR: ctx.administrators,
            Position.BURSAR: ctx.bursars,
            Position.TEACHER: ctx.teachers,
        }[member.position].append(member)
        ctx.teacher_genders[member.pk] = gender
    ctx.counts["staff"] = len(staff)


# --- academics: sections, offerings, homerooms -------------------------------------------------------------


def _section_subjects(letter_index: int) -> list[str]:
    language = LANGUAGE_SUBJECTS[letter_index % 2][1]
    arts = ARTS_SUBJECTS[(letter_index // 2) % 2][1]
    return [code for _n, code, _l in CORE_SUBJECTS] + [language, arts]


def _assign_teachers(ctx: DemoContext, offerings: list[CourseOffering]) -> None:
    """Give each offering a teacher, keeping loads balanced and each teacher to few subjects.

    A teacher keeps taking sections of the subject they already teach until they reach the average load;
    past that, the least-loaded teacher takes it (a new subject for them).
    """
    load = {t.pk: 0 for t in ctx.teachers}
    subjects_of: dict[int, set[str]] = defaultdict(set)
    total = sum(ctx.lessons_per_week[o.subject.code] for o in offerings)
    cap = -(-total // len(ctx.teachers))  # ceiling of the average
    order = {t.pk: i for i, t in enumerate(ctx.teachers)}
    for offering in offerings:
        code, lessons = offering.subject.code, ctx.lessons_per_week[offering.subject.code]
        specialists = [t for t in ctx.teachers if code in subjects_of[t.pk] and load[t.pk] + lessons <= cap]
        pool = specialists or ctx.teachers
        teacher = min(pool, key=lambda t: (load[t.pk], len(subjects_of[t.pk]), order[t.pk]))
        offering.teacher = teacher
        load[teacher.pk] += lessons
        subjects_of[teacher.pk].add(code)
    taught: dict[tuple[int, str], int] = defaultdict(int)
    for offering in offerings:
        taught[(offering.teacher.pk, offering.subject.code)] += 1
    for teacher in ctx.teachers:
        codes = subjects_of[teacher.pk]
        if codes:
            main = max(sorted(codes), key=lambda code: taught[(teacher.pk, code)])
            teacher.job_title = f"{ctx.subjects[main].name} teacher"
    Staff.objects.bulk_update(ctx.teachers, ["job_title"])


def seed_academics_sections(ctx: DemoContext) -> None:
    """Sections with rooms, course offerings (section x subject, a teacher each) and homeroom teachers."""
    size = ctx.size
    per_section = -(-size.students // (len(size.grades) * len(size.section_letters)))
    sections = []
    for g in size.grades:
        for letter in size.section_letters:
            sections.append(
                Section(
                    year=ctx.year,
                    grade_level=ctx.grade_levels[g],
                    name=f"{g}{letter}",
                    room=ctx.rooms[len(sections)],
                    capacity=max(per_section + 3, 30),
                )
            )
    ctx.sections = Section.objects.bulk_create(sections)
    offerings = [
        CourseOffering(section=section, subject=ctx.subjects[code])
        for section in ctx.sections
        for code in _section_subjects(size.section_letters.index(section.name[-1]))
    ]
    # Subject by subject, so a teacher's sections are of the same subject where the load allows.
    offerings.sort(key=lambda o: (o.subject.code, o.section.grade_level.order, o.section.name))
    _assign_teachers(ctx, offerings)
    ctx.offerings = CourseOffering.objects.bulk_create(offerings)

    # Homerooms: each section's homeroom teacher teaches it the most. The demo teacher chooses first.
    lessons_in: dict[tuple[int, int], int] = defaultdict(int)
    for o in ctx.offerings:
        lessons_in[(o.teacher.pk, o.section.pk)] += ctx.lessons_per_week[o.subject.code]
    leading: set[int] = set()
    demo_teacher = ctx.teachers[0]
    own = max(ctx.sections, key=lambda s: lessons_in[(demo_teacher.pk, s.pk)])
    own.homeroom_teacher = demo_teacher
    leading.add(demo_teacher.pk)
    for section in ctx.sections:
        if section.homeroom_teacher is not None:
            continue
        free = [t for t in ctx.teachers if t.pk not in leading]
        teacher = max(free, key=lambda t: lessons_in[(t.pk, section.pk)])
        section.homeroom_teacher = teacher
        leading.add(teacher.pk)
    Section.objects.bulk_update(ctx.sections, ["homeroom_teacher"])
    ctx.counts.update(sections=len(ctx.sections), offerings=len(ctx.offerings))


# --- people: families (students, guardians, links, enrollments) ----------------------------------------


def _family_sizes(ctx: DemoContext) -> list[int]:
    # The demo parent's family (three children) first, then the demo teacher's (one child).
    sizes, remaining = [3, 1], ctx.size.students - 4
    while remaining > 0:
        children = min(remaining, ctx.rng.choices([1, 2, 3], weights=[55, 33, 12])[0])
        sizes.append(children)
        remaining -= children
    return sizes


def _guardian_plan(ctx: DemoContext) -> list[tuple[str, str]]:
    """(gender, relationship) of each guardian: mostly two parents, sometimes one, some grandparents."""
    roll = ctx.rng.random()
    if roll < 0.58:
        plan = [(Gender.FEMALE, Relationship.MOTHER), (Gender.MALE, Relationship.FATHER)]
        if ctx.rng.random() < 0.3:
            plan.reverse()
    elif roll < 0.93:
        plan = [
            ctx.rng.choice(
                [
                    (Gender.FEMALE, Relationship.MOTHER),
                    (Gender.FEMALE, Relationship.MOTHER),
                    (Gender.MALE, Relationship.FATHER),
                    (ctx.rng.choice([Gender.FEMALE, Gender.MALE]), Relationship.GUARDIAN),
                ]
            )
        ]
    else:
        plan = [(Gender.FEMALE, Relationship.MOTHER), (Gender.MALE, Relationship.FATHER)]
        plan.append((ctx.rng.choice([Gender.FEMALE, Gender.MALE]), Relationship.GRANDPARENT))
    return plan


def seed_people_families(ctx: DemoContext) -> None:
    """Students in families of one to three children, siblings in different sections; their guardians
    (most with logins), guardian links with one primary contact, and this year's enrollments."""
    target = -(-ctx.size.students // len(ctx.sections))
    remaining = {section.pk: target for section in ctx.sections}
    year_start = ctx.year.start_date
    demo_teacher = ctx.teachers[0]

    families: list[Family] = []
    placements: list[Section] = []
    for index, children in enumerate(_family_sizes(ctx)):
        if index == 1:
            family = Family(last_name=demo_teacher.last_name, locale="en_US")
        else:
            family = Family(last_name="", locale=ctx.pick_locale())
            family.last_name = ctx.fake(family.locale).last_name()
        fake = ctx.fake(family.locale)
        address = ctx.fake().address()
        # Distinct sections for siblings, filling the emptiest sections first.
        ranked = sorted(ctx.sections, key=lambda s: (-remaining[s.pk], ctx.rng.random()))[:children]
        for section in ranked:
            remaining[section.pk] -= 1
            grade = section.grade_level.order
            gender = ctx.rng.choices([Gender.FEMALE, Gender.MALE, Gender.OTHER], weights=[49, 49, 2])[0]
            first = fake.first_name_male() if gender == Gender.MALE else fake.first_name_female()
            born = datetime.date(year_start.year - grade - 6, 9, 1) + datetime.timedelta(
                days=ctx.rng.randint(0, 364)
            )
            joined = year_start.year - ctx.rng.randint(0, grade - ctx.size.grades[0])
            family.children.append(
                Student(
                    first_name=first,
                    last_name=family.last_name,
                    date_of_birth=born,
                    gender=gender,
                    address=address,
                    admission_date=datetime.date(joined, 8, ctx.rng.randint(15, 31)),
                )
            )
            placements.append(section)
        families.append(family)

    students = [child for family in families for child in family.children]
    for number, student in enumerate(students, start=1):
        student.admission_number = f"ADM{year_start.year % 100:02d}{number:05d}"
    demo_student = families[0].children[0]
    demo_student.email = STUDENT_EMAIL
    student_user = ctx.new_user(
        email=STUDENT_EMAIL, first_name=demo_student.first_name, last_name=demo_student.last_name
    )

    # Guardians: the demo parent heads family 0; the demo teacher is a parent in family 1.
    guardian_users: list[tuple[Guardian, User]] = []
    for index, family in enumerate(families):
        fake = ctx.fake(family.locale)
        language = LANGUAGE_OF_LOCALE[family.locale]
        for position, (gender, relationship) in enumerate(_guardian_plan(ctx)):
            if index == 1 and position == 0:
                gender = ctx.teacher_genders[demo_teacher.pk]
                relationship = Relationship.MOTHER if gender == Gender.FEMALE else Relationship.FATHER
                first = demo_teacher.first_name
            else:
                first = fake.first_name_female() if gender == Gender.FEMALE else fake.first_name_male()
            last = family.last_name if relationship != Relationship.GRANDPARENT else fake.last_name()
            if index == 0 and position == 0:
                email = PARENT_EMAIL
            elif index == 1 and position == 0:
                email = TEACHER_EMAIL
            else:
                email = ctx.unique_email(first, last, "example.com")
            guardian = Guardian(
                first_name=first,
                last_name=last,
                email=email,
                phone=ctx.fake().phone_number(),
                address=family.children[0].address,
                occupation=fake.job()[:100],
                preferred_language=language,
            )
            family.guardians.append((guardian, relationship))
            if email == TEACHER_EMAIL:
                guardian.user = demo_teacher.user
            elif email == PARENT_EMAIL or ctx.rng.random() < ctx.size.guardian_login_share:
                guardian_users.append(
                    (guardian, ctx.new_user(email=email, first_name=first, last_name=last, language=language))
                )

    User.objects.bulk_create([student_user] + [user for _g, user in guardian_users])
    demo_student.user = student_user
    for guardian, user in guardian_users:
        guardian.user = user
    ctx.students = Student.objects.bulk_create(students)
    ctx.guardians = Guardian.objects.bulk_create([g for family in families for g, _r in family.guardians])

    links = []
    for family in families:
        for child in family.children:
            for position, (guardian, relationship) in enumerate(family.guardians):
                links.append(
                    GuardianLink(
                        student=child,
                        guardian=guardian,
                        relationship=relationship,
                        is_primary=position == 0,
                        receives_notifications=relationship != Relationship.GRANDPARENT,
                    )
                )
    GuardianLink.objects.bulk_create(links)
    Enrollment.objects.bulk_create(
        [
            Enrollment(
                student=student,
                section=section,
                year=ctx.year,
                status=EnrollmentStatus.ACTIVE,
                enrolled_on=max(year_start, student.admission_date),
            )
            for student, section in zip(students, placements, strict=True)
        ]
    )
    ctx.families = families
    ctx.counts.update(
        students=len(students),
        guardians=len(ctx.guardians),
        guardian_logins=len(guardian_users) + 1,
        guardian_links=len(links),
        families=len(families),
    )


# --- academics: timetable ----------------------------------------------------------------------------


def seed_academics_timetable(ctx: DemoContext) -> None:
    """A Monday-to-Friday timetable for every offering, with no section or teacher in two places at once.

    Greedy, in rounds (every offering's first lesson, then every second, ...): each lesson takes the free
    slot on a day the offering does not meet yet, on the teacher's least busy day, so every teacher with
    five lessons or more teaches every weekday.
    """
    slots = [(day, period) for day in WEEKDAYS for period in ctx.periods]
    section_busy: dict[int, set] = defaultdict(set)
    teacher_busy: dict[int, set] = defaultdict(set)
    teacher_day: dict[tuple[int, int], int] = defaultdict(int)
    offering_days: dict[int, set[int]] = defaultdict(set)
    order = list(ctx.offerings)
    ctx.rng.shuffle(order)
    # Busiest teachers first within a round: they have the fewest free slots.
    load: dict[int, int] = defaultdict(int)
    for o in order:
        load[o.teacher.pk] += ctx.lessons_per_week[o.subject.code]
    order.sort(key=lambda o: -load[o.teacher.pk])
    entries, dropped = [], 0
    for lesson_round in range(max(ctx.lessons_per_week.values())):
        for offering in order:
            if ctx.lessons_per_week[offering.subject.code] <= lesson_round:
                continue
            section, teacher = offering.section.pk, offering.teacher.pk
            free = [
                (day, period)
                for day, period in slots
                if (day, period.pk) not in section_busy[section]
                and (day, period.pk) not in teacher_busy[teacher]
            ]
            if not free:
                dropped += 1
                continue
            day, period = min(
                free,
                key=lambda slot: (
                    slot[0] in offering_days[offering.pk],
                    teacher_day[(teacher, slot[0])],
                    ctx.rng.random(),
                ),
            )
            section_busy[section].add((day, period.pk))
            teacher_busy[teacher].add((day, period.pk))
            teacher_day[(teacher, day)] += 1
            offering_days[offering.pk].add(day)
            entries.append(
                TimetableEntry(offering=offering, weekday=day, period=period, room=offering.section.room)
            )
    TimetableEntry.objects.bulk_create(entries)
    ctx.counts.update(timetable_entries=len(entries), timetable_lessons_not_placed=dropped)


# --- people: photos ----------------------------------------------------------------------------------------

PHOTO_COLOURS = [
    "#1f6feb",
    "#8250df",
    "#bf3989",
    "#cf222e",
    "#bc4c00",
    "#4d2d00",
    "#1a7f37",
    "#0a3069",
    "#116329",
]


def _initials_png(initials: str, colour: str) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (160, 160), colour)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=64)
    draw.text((80, 80), initials, fill="white", font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def seed_people_photos(ctx: DemoContext) -> None:
    """A generated photo (coloured square with initials) for every child in the small school; in the large
    school only for the demo families."""
    if ctx.size.photos_for_all:
        children = ctx.students
    else:
        children = ctx.families[0].children + ctx.families[1].children
    for student in children:
        content = ContentFile(_initials_png(student.initials, ctx.rng.choice(PHOTO_COLOURS)))
        student.photo.save(f"{slugify(student.initials) or 'photo'}.png", content, save=False)
    Student.objects.bulk_update(children, ["photo"], batch_size=500)
    ctx.counts["photos"] = len(children)


# --- attendance: a history of daily registers ------------------------------------------------------------

# The large school must carry at least this many records; when this year so far has fewer, the previous
# academic year is seeded as well.
LARGE_HISTORY_RECORDS = 500_000
RECORD_BATCH = 5_000
EXCUSE_REASONS = [
    "Illness",
    "Illness",
    "Doctor's appointment",
    "Dental appointment",
    "Family emergency",
    "Religious observance",
    "Representing the school at a sports competition",
    "Funeral of a relative",
]
LATE_NOTES = ["Bus was late", "Traffic", "Overslept", "Came from a medical appointment", ""]


@dataclass
class AttendanceHabit:
    """How a student attends: chances of each status on a school day, and the pattern they show, if any."""

    absent: float
    excused: float
    late: float
    pattern: str = ""  # "", "chronic", "weekday", "streak", "rising_lateness"
    weekday: int | None = None  # the weekday missed repeatedly ("weekday" pattern)


@dataclass
class RegisterPlan:
    """One year's worth of daily registers to write: its sections' students and the days."""

    days: list[datetime.date]
    roster: dict[int, list[tuple[int, datetime.date]]]  # section pk -> [(student pk, enrolled on)]
    submitters: dict[int, int | None]  # section pk -> the homeroom teacher's user pk

    def record_count(self) -> int:
        return sum(
            1
            for day in self.days
            for students in self.roster.values()
            for _s, since in students
            if since <= day
        )


def _school_days(
    first: datetime.date, last: datetime.date, terms: list[Term], closed: set[datetime.date]
) -> list[datetime.date]:
    """Mondays to Fridays from first to last that fall in a term and on no holiday or closure."""
    days = []
    for term in terms:
        day = max(first, term.start_date)
        while day <= min(last, term.end_date):
            if day.weekday() in WEEKDAYS and day not in closed:
                days.append(day)
            day += datetime.timedelta(days=1)
    return days


def _closed_days() -> set[datetime.date]:
    closed = set()
    for first, last in CalendarEvent.objects.closures().values_list("start_date", "end_date"):
        closed.update(first + datetime.timedelta(days=n) for n in range((last - first).days + 1))
    return closed


def _attendance_habits(ctx: DemoContext) -> dict[int, AttendanceHabit]:
    """Most students attend ~95% of days (a few never miss one); about 5% are chronically absent, and a
    few show a pattern the analytics explain. The demo teacher's homeroom holds one of each pattern."""
    rng = ctx.rng
    habits: dict[int, AttendanceHabit] = {}
    for student in ctx.students:
        roll = rng.random()
        if roll < 0.08:
            habit = AttendanceHabit(absent=0.0, excused=0.0, late=0.0)
        elif roll < 0.13:
            habit = AttendanceHabit(rng.uniform(0.10, 0.16), rng.uniform(0.02, 0.04), 0.04, pattern="chronic")
        elif roll < 0.15:
            habit = AttendanceHabit(0.01, 0.01, 0.02, pattern="weekday", weekday=rng.choice([0, 0, 4, 4, 2]))
        elif roll < 0.18:
            habit = AttendanceHabit(0.01, 0.01, 0.02, pattern="streak")
        elif roll < 0.20:
            habit = AttendanceHabit(0.01, 0.01, 0.02, pattern="rising_lateness")
        else:
            habit = AttendanceHabit(
                rng.uniform(0.003, 0.025), rng.uniform(0.003, 0.02), rng.uniform(0.0, 0.035)
            )
        habits[student.pk] = habit

    demo_children = {s.pk for family in ctx.families[:2] for s in family.children}
    homeroom = next(s for s in ctx.sections if s.homeroom_teacher_id == ctx.teachers[0].pk)
    enrolled = Enrollment.objects.filter(section=homeroom).values_list("student_id", flat=True)
    in_homeroom = [pk for pk in enrolled if pk not in demo_children]
    shown = [
        AttendanceHabit(0.16, 0.03, 0.04, pattern="chronic"),
        AttendanceHabit(0.01, 0.01, 0.02, pattern="weekday", weekday=0),
        AttendanceHabit(0.01, 0.01, 0.02, pattern="streak"),
        AttendanceHabit(0.01, 0.01, 0.02, pattern="rising_lateness"),
    ]
    for pk, habit in zip(sorted(in_homeroom), shown, strict=False):
        habits[pk] = habit
    # One of the demo parent's children missed a run of days: the calendar shows it, a note can excuse it.
    if len(ctx.families[0].children) > 1:
        habits[ctx.families[0].children[1].pk] = AttendanceHabit(0.01, 0.01, 0.02, pattern="streak")
    return habits


def _runs(rng: random.Random, days: list[datetime.date], count: int, lengths: tuple[int, int]) -> set:
    """`count` runs of consecutive school days (lengths between the bounds) somewhere in `days`."""
    chosen: set[datetime.date] = set()
    for _n in range(count):
        length = rng.randint(*lengths)
        if len(days) <= length:
            break
        first = rng.randrange(len(days) - length)
        chosen.update(days[first : first + length])
    return chosen


def _year_plan(sections: list[Section], days: list[datetime.date]) -> RegisterPlan:
    roster: dict[int, list[tuple[int, datetime.date]]] = {section.pk: [] for section in sections}
    enrollments = Enrollment.objects.filter(section__in=sections, status=EnrollmentStatus.ACTIVE)
    for section_id, student_id, since in enrollments.values_list("section_id", "student_id", "enrolled_on"):
        roster[section_id].append((student_id, since))
    for students in roster.values():
        students.sort()
    return RegisterPlan(
        days=days,
        roster=roster,
        submitters={s.pk: (s.homeroom_teacher.user_id if s.homeroom_teacher else None) for s in sections},
    )


def _seed_registers(ctx: DemoContext, plan: RegisterPlan, habits: dict[int, AttendanceHabit]) -> int:
    """Submitted daily registers for every day of the plan, with one record per enrolled student, written in
    batches. Returns how many records were written."""
    rng, days = ctx.rng, plan.days
    if not days:
        return 0
    # Runs of absences: the "streak" students' unexcused ones, and an occasional illness for anyone else.
    truancy: dict[int, set] = {}
    illness: dict[int, set] = {}
    for students in plan.roster.values():
        for student_id, since in students:
            attending = days[bisect.bisect_left(days, since) :]
            if habits[student_id].pattern == "streak":
                truancy[student_id] = _runs(rng, attending, 1 + len(days) // 120, (3, 5))
            if rng.random() < 0.15:
                illness[student_id] = _runs(rng, attending, 1, (2, 3))
    zone = timezone.get_current_timezone()
    registers, when = [], []
    for day in days:
        for section_id, user_id in plan.submitters.items():
            submitted = datetime.datetime.combine(day, datetime.time(8, 32), zone) + datetime.timedelta(
                minutes=rng.randint(0, 20), seconds=rng.randint(0, 59)
            )
            registers.append(
                Register(
                    kind=RegisterMode.DAILY,
                    date=day,
                    section_id=section_id,
                    state=RegisterState.SUBMITTED,
                    started_at=submitted - datetime.timedelta(minutes=rng.randint(1, 4)),
                    submitted_at=submitted,
                    submitted_by_id=user_id,
                    notified_at=submitted + datetime.timedelta(minutes=1),
                )
            )
            when.append(submitted)
    registers = Register.objects.bulk_create(registers, batch_size=RECORD_BATCH)

    span = max(len(days) - 1, 1)
    position = {day: n / span for n, day in enumerate(days)}
    ABSENT, EXCUSED, LATE, PRESENT = (
        AttendanceStatus.ABSENT,
        AttendanceStatus.EXCUSED,
        AttendanceStatus.LATE,
        AttendanceStatus.PRESENT,
    )
    batch: list[AttendanceRecord] = []
    written = 0
    for register, submitted in zip(registers, when, strict=True):
        day, user_id = register.date, register.submitted_by_id
        progress, weekday = position[day], day.weekday()
        for student_id, since in plan.roster[register.section_id]:
            if since > day:
                continue
            habit = habits[student_id]
            status, minutes, reason, note = PRESENT, None, "", ""
            roll = rng.random()
            late = habit.late + (0.6 * progress * progress if habit.pattern == "rising_lateness" else 0.0)
            if day in truancy.get(student_id, ()):
                status = ABSENT
            elif day in illness.get(student_id, ()):
                status, reason = EXCUSED, "Illness"
            elif roll < habit.absent or (weekday == habit.weekday and roll < 0.6):
                status = ABSENT
            elif roll < habit.absent + habit.excused:
                status, reason = EXCUSED, rng.choice(EXCUSE_REASONS)
            elif roll < habit.absent + habit.excused + late:
                status = LATE
                if habit.pattern == "rising_lateness":
                    minutes = 5 + int(25 * progress) + rng.randint(0, 10)
                else:
                    minutes = rng.choice([2, 3, 5, 5, 5, 8, 10, 10, 12, 15, 20, 25, 40])
                note = rng.choice(LATE_NOTES)
            batch.append(
                AttendanceRecord(
                    register_id=register.pk,
                    student_id=student_id,
                    status=status,
                    late_minutes=minutes,
                    reason=reason,
                    note=note,
                    date=day,
                    marked_by_id=user_id,
                    marked_at=submitted,
                    absence_notified_at=register.notified_at if status == ABSENT else None,
                )
            )
            if len(batch) >= RECORD_BATCH:
                AttendanceRecord.objects.bulk_create(batch)
                written += len(batch)
                batch = []
    AttendanceRecord.objects.bulk_create(batch)
    return written + len(batch)


def _seed_previous_year(ctx: DemoContext) -> tuple[list[Section], list[Term]]:
    """Last academic year, for a long history: its terms and calendar, and its sections (one grade lower, the
    same letters and homeroom teachers as this year's section of that name) holding this year's students
    who were already at the school. The top grade's students of last year have left; nobody is in them."""
    start, end = ctx.year.start_date, ctx.year.end_date
    year, _created = AcademicYear.objects.update_or_create(
        name=f"{start.year - 1}-{end.year - 1}",
        defaults={
            "start_date": start.replace(year=start.year - 1),
            "end_date": end.replace(year=end.year - 1),
            "is_current": False,
        },
    )
    terms = _terms(year)
    Term.objects.bulk_create(terms, ignore_conflicts=True)
    CalendarEvent.objects.bulk_create(_calendar_events(year.start_date))
    this_year = {section.name: section for section in ctx.sections}
    lowest = ctx.size.grades[0]
    earlier: dict[int, Section] = {}  # this year's section pk -> the section its students were in last year
    for section in ctx.sections:
        grade = section.grade_level.order
        if grade == lowest:
            continue
        name = f"{grade - 1}{section.name[-1]}"
        model = this_year[name]
        earlier[section.pk] = Section(
            year=year,
            grade_level=model.grade_level,
            name=name,
            room=model.room,
            capacity=model.capacity,
            homeroom_teacher=model.homeroom_teacher,
        )
    sections = Section.objects.bulk_create(earlier.values())
    current = Enrollment.objects.filter(year=ctx.year, student__admission_date__lt=start).values_list(
        "section_id", "student_id", "student__admission_date"
    )
    Enrollment.objects.bulk_create(
        [
            Enrollment(
                student_id=student_id,
                section=earlier[section_id],
                year=year,
                status=EnrollmentStatus.ACTIVE,
                enrolled_on=max(year.start_date, admitted),
            )
            for section_id, student_id, admitted in current
            if section_id in earlier
        ],
        batch_size=RECORD_BATCH,
    )
    ctx.counts["previous_year_sections"] = len(sections)
    return sections, terms


def _seed_today(ctx: DemoContext, closed: set[datetime.date], habits: dict[int, AttendanceHabit]) -> None:
    """Today's registers, none submitted yet: the demo teacher's not taken (the demo shows marking); of the
    others, about two in three in progress (part of the class marked), the rest not taken (the office's
    "not yet taken" page has something to show)."""
    today, rng = ctx.today, ctx.rng
    if not (ctx.year.start_date <= today <= ctx.year.end_date) or today.weekday() not in WEEKDAYS:
        return
    if today in closed:
        return
    plan = _year_plan(ctx.sections, [today])
    zone = timezone.get_current_timezone()
    morning = min(timezone.now(), datetime.datetime.combine(today, datetime.time(8, 40), zone))
    demo_section = next(s.pk for s in ctx.sections if s.homeroom_teacher_id == ctx.teachers[0].pk)
    registers, shares = [], []
    for section_id in plan.submitters:
        roll = 1.0 if section_id == demo_section else rng.random()
        share = rng.uniform(0.3, 0.9) if roll < 0.65 else 0.0
        registers.append(
            Register(
                kind=RegisterMode.DAILY,
                date=today,
                section_id=section_id,
                state=RegisterState.IN_PROGRESS if share else RegisterState.NOT_TAKEN,
                started_at=morning - datetime.timedelta(minutes=rng.randint(1, 10)) if share else None,
            )
        )
        shares.append(share)
    registers = Register.objects.bulk_create(registers)
    records = []
    for register, share in zip(registers, shares, strict=True):
        students = plan.roster[register.section_id]
        for student_id, _since in students[: round(len(students) * share)]:
            habit = habits[student_id]
            roll = rng.random()
            status = AttendanceStatus.PRESENT
            if roll < habit.absent:
                status = AttendanceStatus.ABSENT
            elif roll < habit.absent + habit.late:
                status = AttendanceStatus.LATE
            records.append(
                AttendanceRecord(
                    register_id=register.pk,
                    student_id=student_id,
                    status=status,
                    late_minutes=rng.randint(3, 15) if status == AttendanceStatus.LATE else None,
                    date=today,
                    marked_by_id=plan.submitters[register.section_id],
                    marked_at=morning,
                )
            )
    AttendanceRecord.objects.bulk_create(records, batch_size=RECORD_BATCH)
    ctx.counts["registers_today"] = len(registers)


def seed_attendance(ctx: DemoContext) -> None:
    """Daily registers, submitted by the homeroom teachers, for every past school day: the small school from
    the start of the current term, the large school from the start of the year (and last year as well when
    that is too short a history for 500,000 records); then today's registers, partly taken."""
    policy = AttendancePolicy.load()
    if policy.mode != RegisterMode.DAILY:
        policy.mode = RegisterMode.DAILY
        policy.save(update_fields=["mode"])
    habits = _attendance_habits(ctx)
    yesterday = ctx.today - datetime.timedelta(days=1)
    closed = _closed_days()
    terms = sorted(ctx.terms, key=lambda term: term.start_date)
    if ctx.size.name == "small":
        terms = [term for term in terms if term.start_date <= yesterday][-1:]
    plans = [_year_plan(ctx.sections, _school_days(ctx.year.start_date, yesterday, terms, closed))]
    if ctx.size.name == "large" and plans[0].record_count() < LARGE_HISTORY_RECORDS:
        sections, terms = _seed_previous_year(ctx)
        closed = _closed_days()
        days = _school_days(terms[0].start_date, terms[-1].end_date, terms, closed)
        plans.insert(0, _year_plan(sections, days))
    for plan in plans:
        _seed_registers(ctx, plan, habits)
    _seed_today(ctx, closed, habits)
    ctx.counts.update(registers=Register.objects.count(), attendance_records=AttendanceRecord.objects.count())


# --- exams: grading scales, assessments and marks, term comments, the exam timetable ----------------------

# (letter, from %, GPA points, descriptor)
DEFAULT_BANDS = [
    ("A", 90, 4, "Excellent"),
    ("B", 80, 3, "Good"),
    ("C", 70, 2, "Satisfactory"),
    ("D", 60, 1, "Needs improvement"),
    ("F", 0, 0, "Not yet passing"),
]
DEFAULT_PASS_MARK = 60
# The youngest grade has its own, descriptor-based scale: the demo shows a grade level with its own scale.
YOUNGEST_BANDS = [
    ("EX", 85, 4, "Exceeding expectations"),
    ("ME", 70, 3, "Meeting expectations"),
    ("AP", 50, 2, "Approaching expectations"),
    ("BE", 0, 1, "Beginning"),
]
YOUNGEST_PASS_MARK = 50
# (category, weight, kind, how many in a whole term, maximum score, assessment name)
TERM_PLAN = [
    ("Homework", 20, AssessmentKind.HOMEWORK, 6, 10, "Homework"),
    ("Quizzes", 30, AssessmentKind.QUIZ, 4, 20, "Quiz"),
    ("Tests", 50, AssessmentKind.TEST, 2, 50, "Unit test"),
]
PLAIN_POINTS_SUBJECTS = {"PE"}  # graded in plain points, no categories
# Written in the exam period, in the section's own classroom; each grade rotates through them.
EXAM_SUBJECTS = ["MATH", "ENG", "SCI", "HIST"]
EXAM_SESSIONS = [datetime.time(9, 0), datetime.time(13, 0)]
EXAM_MINUTES = {"MATH": 90, "ENG": 90, "SCI": 75, "HIST": 60}
MARK_BATCH = 5_000

SUBJECT_COMMENTS = {
    "high": [
        "{first} has worked with real care this term and it shows. Keep asking those big questions!",
        "Excellent work, {first}: confident, accurate and always willing to help classmates.",
        "{first} brings curiosity and focus to every lesson. A term to be proud of.",
        "Outstanding effort and understanding. {first} is ready for more challenging work.",
    ],
    "middle": [
        "{first} has made steady progress this term. Reviewing class notes each week will help even more.",
        "A solid term, {first}. Checking work carefully before handing it in is the next step.",
        "{first} participates well and is growing in confidence. Keep up the regular practice.",
        "Good progress, {first}. Asking for help as soon as something is unclear will pay off.",
    ],
    "low": [
        "{first} is working towards the expected level; short, regular practice at home will help.",
        "{first} has shown good moments this term; handing in every homework on time is the priority now.",
        "I know {first} can do more, and I am glad to help after class. Let's set small goals together.",
        "{first} is building the basics step by step. Please come to our lunchtime support sessions.",
    ],
}
HOMEROOM_COMMENTS = [
    "{first} is a kind and reliable member of our class, and a good friend to others.",
    "{first} settled in well this term and takes part in class life with enthusiasm.",
    "A pleasure to have in the homeroom: {first} is organised, polite and helpful.",
    "{first} has grown in confidence this term. Keep bringing that positive energy!",
    "{first} contributes thoughtfully to class discussions and looks after classmates.",
]
PRINCIPAL_COMMENTS = {
    "high": [
        "Congratulations on an excellent term, {first}.",
        "A very strong term, {first}. Well done!",
    ],
    "other": [
        "Thank you for your effort this term, {first}. Keep going!",
        "A term of steady progress, {first}. We look forward to the next one.",
        "Well done on your hard work this term, {first}.",
    ],
}


def _seed_grading_scales(ctx: DemoContext) -> None:
    youngest = ctx.grade_levels[ctx.size.grades[0]]
    plans = [
        (
            GradingScale.objects.filter(grade_level__isnull=True).first(),
            None,
            DEFAULT_PASS_MARK,
            DEFAULT_BANDS,
        ),
        (
            GradingScale.objects.filter(grade_level=youngest).first(),
            youngest,
            YOUNGEST_PASS_MARK,
            YOUNGEST_BANDS,
        ),
    ]
    bands = []
    for existing, grade_level, pass_mark, plan in plans:
        if existing is not None:  # a scale the school already set up is kept as it is
            continue
        name = f"{grade_level.name} scale" if grade_level else "School scale"
        scale = GradingScale.objects.create(name=name, grade_level=grade_level, pass_mark=pass_mark)
        bands += [
            GradeBand(scale=scale, letter=letter, min_percent=low, gpa_points=gpa, descriptor=text)
            for letter, low, gpa, text in plan
        ]
    GradeBand.objects.bulk_create(bands)


def _assessment_days(days: list[datetime.date], count: int, rng: random.Random) -> list[datetime.date]:
    """`count` dates spread evenly over the term's school days, each nudged a day or two."""
    if not days:
        return []
    chosen = []
    for n in range(count):
        index = int((n + 0.5) * len(days) / count) + rng.randint(-2, 2)
        chosen.append(days[min(max(index, 0), len(days) - 1)])
    return sorted(chosen)


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), timezone.get_current_timezone())


def _seed_assessments(
    ctx: DemoContext, terms: list[Term], closed: set[datetime.date]
) -> tuple[list[Assessment], dict[int, int]]:
    """Categories for every offering but the plain-points ones, then each started term's assessments up to
    yesterday: all published in past terms; in the current term all but each class's newest. Returns the
    assessments and their category → weight."""
    rng, today = ctx.rng, ctx.today
    categories = [
        AssessmentCategory(offering=offering, name=name, weight=weight)
        for offering in ctx.offerings
        if offering.subject.code not in PLAIN_POINTS_SUBJECTS
        for name, weight, *_rest in TERM_PLAN
    ]
    AssessmentCategory.objects.bulk_create(categories)
    category_of = {(c.offering.pk, c.name): c.pk for c in categories}
    weights = {c.pk: c.weight for c in categories}
    yesterday = today - datetime.timedelta(days=1)
    assessments: list[Assessment] = []
    for term in terms:
        days = _school_days(term.start_date, term.end_date, [term], closed)
        current = term.end_date >= today
        for offering in ctx.offerings:
            planned = []
            for category, _weight, kind, count, max_score, name in TERM_PLAN:
                for n, day in enumerate(_assessment_days(days, count, rng), start=1):
                    if day <= yesterday:
                        planned.append((day, kind, f"{name} {n}", max_score, category))
            planned.sort(key=lambda row: (row[0], row[1]))
            for index, (day, kind, name, max_score, category) in enumerate(planned):
                newest = current and index == len(planned) - 1
                published = None
                if not newest:
                    # After the marks were entered (by 17:00 the next day, see _seed_marks).
                    published = _at(min(day + datetime.timedelta(days=rng.randint(2, 4)), yesterday), 19)
                assessments.append(
                    Assessment(
                        offering_id=offering.pk,
                        term_id=term.pk,
                        category_id=category_of.get((offering.pk, category)),
                        name=name,
                        kind=kind,
                        max_score=Decimal(max_score),
                        date=day,
                        published_at=published,
                        notified_at=published,  # history: its families were told then
                        created_by_id=offering.teacher.user_id,
                    )
                )
    return Assessment.objects.bulk_create(assessments, batch_size=MARK_BATCH), weights


MARK_COLUMNS = ("assessment", "student", "score", "code", "max_score", "entered_by", "entered_at")


def _insert_marks(rows: list[tuple]) -> None:
    """Marks are the demo's largest table (several hundred thousand rows in the large school). bulk_create
    spends most of its time preparing every field of every row; these rows hold values already adapted for
    the database (a few hundred distinct scores, one time per assessment), so one executemany per batch.
    The database's own constraints (score within the maximum, score or code) still check every row."""
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(Mark._meta.get_field(name).column) for name in MARK_COLUMNS)
    placeholders = ", ".join(["%s"] * len(MARK_COLUMNS))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(Mark._meta.db_table)} ({columns}) VALUES ({placeholders})", rows
        )


def _seed_marks(
    ctx: DemoContext, assessments: list[Assessment], roster: dict[int, list[tuple[int, datetime.date]]]
) -> dict[tuple[int, int, int], list[MarkValue]]:
    """A mark for every student enrolled on the assessment's date: a score around the student's ability (and
    their knack for the subject), now and then a code. Returns the past terms' marks by (term, student,
    offering), for the comments."""
    rng = ctx.rng
    ability = {s.pk: min(max(rng.gauss(75, 11), 38), 98) for s in ctx.students}
    knack: dict[tuple[int, int], float] = {}
    offering_of = {o.pk: o for o in ctx.offerings}
    past_terms = {t.pk for t in ctx.terms if t.end_date < ctx.today}
    kept: dict[tuple[int, int, int], list[MarkValue]] = defaultdict(list)
    last_entry = _at(ctx.today - datetime.timedelta(days=1), 17)
    adapt_time = connection.ops.adapt_datetimefield_value
    # Scores in steps (half points for homework), as Decimals and as the database takes them, made once.
    scores: dict[tuple[int, int], tuple[Decimal, object]] = {}

    def score_of(steps: int, halves: int) -> tuple[Decimal, object]:
        if (steps, halves) not in scores:
            value = Decimal(steps) / halves
            scores[(steps, halves)] = (value, connection.ops.adapt_decimalfield_value(value, 6, 2))
        return scores[(steps, halves)]

    rows: list[tuple] = []
    written = 0
    for assessment in assessments:
        offering = offering_of[assessment.offering_id]
        homework = assessment.kind == AssessmentKind.HOMEWORK
        difficulty = rng.gauss(0, 5) - (4 if homework else 0)
        halves = 2 if homework else 1
        top = int(assessment.max_score) * halves
        max_score = connection.ops.adapt_decimalfield_value(assessment.max_score, 6, 2)
        entered_at = adapt_time(
            min(_at(assessment.date, 17) + datetime.timedelta(days=rng.randint(0, 1)), last_entry)
        )
        keep = assessment.term_id in past_terms
        teacher = offering.teacher.user_id
        for student_id, since in roster[offering.section.pk]:
            if since > assessment.date:
                continue
            key = (student_id, offering.subject.pk)
            if key not in knack:
                knack[key] = rng.gauss(0, 6)
            level = ability[student_id]
            score, stored, code = None, None, ""
            roll = rng.random()
            missing = (0.025 if homework else 0.0) * (2 if level < 60 else 1)
            if roll < missing:
                code = MarkCode.MISSING
            elif roll < missing + 0.008:
                code = MarkCode.EXCUSED
            elif not homework and roll < missing + 0.008 + 0.015:
                code = MarkCode.ABSENT
            else:
                share = min(max(level + knack[key] - difficulty + rng.gauss(0, 7), 0), 100) / 100
                score, stored = score_of(min(round(share * top), top), halves)
            rows.append((assessment.pk, student_id, stored, str(code), max_score, teacher, entered_at))
            if keep:
                kept[(assessment.term_id, student_id, offering.pk)].append(
                    MarkValue(assessment.pk, score, code)
                )
            if len(rows) >= MARK_BATCH:
                _insert_marks(rows)
                written += len(rows)
                rows = []
    _insert_marks(rows)
    ctx.counts["marks"] = written + len(rows)
    return kept


def _seed_term_results(
    ctx: DemoContext,
    terms: list[Term],
    assessments: list[Assessment],
    weights: dict[int, int],
    kept: dict[tuple[int, int, int], list[MarkValue]],
) -> None:
    """For each past term: a subject comment per class (chosen by the student's average there), a homeroom
    and a principal comment per student; then the term's results published and locked."""
    rng = ctx.rng
    infos = {a.pk: AssessmentInfo(a.pk, a.max_score, a.category_id) for a in assessments}
    offering_of = {o.pk: o for o in ctx.offerings}
    weights_of: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for a in assessments:
        if a.category_id:
            weights_of[a.offering_id][a.category_id] = Decimal(weights[a.category_id])
    first_name = {s.pk: s.first_name for s in ctx.students}
    homeroom_of = {s.pk: s.homeroom_teacher.user_id for s in ctx.sections}
    principal = ctx.administrators[0].user_id
    comments: list[TermComment] = []
    for term in terms:
        per_student: dict[int, list[Decimal]] = defaultdict(list)
        sections: dict[int, int] = {}
        for (term_id, student_id, offering_id), marks in sorted(kept.items()):
            if term_id != term.pk:
                continue
            offering = offering_of[offering_id]
            value = weighted_percent(marks, infos, weights_of.get(offering_id))
            if value is None:
                continue
            per_student[student_id].append(value)
            sections[student_id] = offering.section.pk
            band = "high" if value >= 80 else "middle" if value >= 65 else "low"
            comments.append(
                TermComment(
                    student_id=student_id,
                    term_id=term.pk,
                    kind=CommentKind.SUBJECT,
                    offering_id=offering_id,
                    text=rng.choice(SUBJECT_COMMENTS[band]).format(first=first_name[student_id]),
                    author_id=offering.teacher.user_id,
                )
            )
        for student_id, values in sorted(per_student.items()):
            first = first_name[student_id]
            overall = sum(values) / len(values)
            comments.append(
                TermComment(
                    student_id=student_id,
                    term_id=term.pk,
                    kind=CommentKind.HOMEROOM,
                    text=rng.choice(HOMEROOM_COMMENTS).format(first=first),
                    author_id=homeroom_of[sections[student_id]],
                )
            )
            comments.append(
                TermComment(
                    student_id=student_id,
                    term_id=term.pk,
                    kind=CommentKind.PRINCIPAL,
                    text=rng.choice(PRINCIPAL_COMMENTS["high" if overall >= 85 else "other"]).format(
                        first=first
                    ),
                    author_id=principal,
                )
            )
    TermComment.objects.bulk_create(comments, batch_size=MARK_BATCH)
    last_day = ctx.today - datetime.timedelta(days=1)
    TermStatus.objects.bulk_create(
        [
            TermStatus(
                term=term,
                results_published_at=_at(min(term.end_date + datetime.timedelta(days=5), last_day), 15),
                results_notified_at=_at(min(term.end_date + datetime.timedelta(days=5), last_day), 15),
                locked_at=_at(min(term.end_date + datetime.timedelta(days=12), last_day), 17),
                locked_by_id=principal,
            )
            for term in terms
        ]
    )
    ctx.counts["term_comments"] = len(comments)


def _seed_exam_timetable(ctx: DemoContext, term: Term, closed: set[datetime.date]) -> None:
    """The current term's exams in its last school days but two, published: each grade sits one subject a
    day (the grades alternating mornings and afternoons, rotating the subjects), every section in its own
    classroom, invigilated by a teacher free at that time who does not teach it that subject."""
    rng = ctx.rng
    days = _school_days(term.start_date, term.end_date, [term], closed)
    if len(days) < len(EXAM_SUBJECTS) + 2:
        return
    exam_days = days[-len(EXAM_SUBJECTS) - 2 : -2]
    period = ExamPeriod.objects.create(
        name=f"{term.name} examinations",
        term=term,
        start_date=exam_days[0],
        end_date=exam_days[-1],
        is_published=True,
    )
    teaches = {(o.section.pk, o.subject.code): o.teacher.pk for o in ctx.offerings}
    grades = sorted({s.grade_level.order for s in ctx.sections})
    busy: dict[tuple[datetime.date, datetime.time], set[int]] = defaultdict(set)
    load: dict[int, int] = defaultdict(int)
    slots, slot_sections = [], []
    for number, day in enumerate(exam_days):
        for g_index, grade in enumerate(grades):
            code = EXAM_SUBJECTS[(number + g_index) % len(EXAM_SUBJECTS)]
            starts = EXAM_SESSIONS[g_index % len(EXAM_SESSIONS)]
            for section in (s for s in ctx.sections if s.grade_level.order == grade):
                free = [
                    t
                    for t in ctx.teachers
                    if t.pk not in busy[(day, starts)] and t.pk != teaches.get((section.pk, code))
                ]
                invigilator = min(free, key=lambda t: (load[t.pk], rng.random()))
                busy[(day, starts)].add(invigilator.pk)
                load[invigilator.pk] += 1
                slots.append(
                    ExamSlot(
                        period=period,
                        subject=ctx.subjects[code],
                        date=day,
                        start_time=starts,
                        duration_minutes=EXAM_MINUTES[code],
                        room=section.room,
                        invigilator=invigilator,
                    )
                )
                slot_sections.append(section)
    slots = ExamSlot.objects.bulk_create(slots)
    Through = ExamSlot.sections.through
    Through.objects.bulk_create(
        [Through(examslot_id=slot.pk, section_id=s.pk) for slot, s in zip(slots, slot_sections, strict=True)]
    )
    ctx.counts["exam_slots"] = len(slots)


def seed_grades(ctx: DemoContext) -> None:
    """Grading scales; for every class of the current year, categories and each started term's assessments
    with marks (published, but for each class's newest one this term); past terms' comments, published and
    locked; and the current term's exam timetable."""
    _seed_grading_scales(ctx)
    today = ctx.today
    closed = _closed_days()
    started = sorted((t for t in ctx.terms if t.start_date < today), key=lambda t: t.start_date)
    roster: dict[int, list[tuple[int, datetime.date]]] = defaultdict(list)
    enrollments = Enrollment.objects.filter(section__in=ctx.sections, status=EnrollmentStatus.ACTIVE)
    for section_id, student_id, since in enrollments.values_list("section_id", "student_id", "enrolled_on"):
        roster[section_id].append((student_id, since))
    assessments, weights = _seed_assessments(ctx, started, closed)
    kept = _seed_marks(ctx, assessments, roster)
    past = [t for t in started if t.end_date < today]
    _seed_term_results(ctx, past, assessments, weights, kept)
    current = next((t for t in ctx.terms if t.start_date <= today <= t.end_date), None)
    if current is not None:
        _seed_exam_timetable(ctx, current, closed)
    ctx.counts.update(
        assessments=len(assessments),
        assessments_unpublished=sum(1 for a in assessments if not a.published_at),
    )


SEED_STEPS: list[SeedStep] = [
    seed_core,
    seed_academics_structure,
    seed_people_staff,
    seed_academics_sections,
    seed_people_families,
    seed_academics_timetable,
    seed_people_photos,
    seed_attendance,
    seed_grades,
    seed_fees,
]
