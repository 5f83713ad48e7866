"""The demo school's academic structure: the year and its terms, the calendar, the bell schedule, subjects and
rooms; sections with their course offerings and homeroom teachers; this year's enrolments; and, for the
large school's long attendance history, last year (see modules/core/demo.py for how the seeds run,
modules/demo/seed.py for their order; the timetable is modules/timetable/demo.py's).
"""

from __future__ import annotations

import datetime
from collections import defaultdict

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
)
from modules.core.demo import DemoContext
from modules.people.models import Staff

WEEKDAYS = range(5)  # Monday to Friday
ENROLLMENT_BATCH = 5_000

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


def academic_year_bounds(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The school year (15 August to 15 July) that contains today, or the next one during the summer."""
    start_year = today.year if (today.month, today.day) >= (7, 16) else today.year - 1
    return datetime.date(start_year, 8, 15), datetime.date(start_year + 1, 7, 15)


# --- year, calendar, bell schedule, subjects, rooms -----------------------------------------------------


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
            GradeLevel(name=f"Grade {g}", order=g, ceds_code=f"{g:02d}" if 1 <= g <= 13 else "")
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


# --- sections, offerings, homerooms ---------------------------------------------------------------------


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
    # Subject by subject, so a teacher's sections are of the same subject where the load allows; the highest
    # grades first, so that the demo teacher (who chooses first) teaches the upper grades, which take a
    # register per lesson (modules/attendance/demo.py).
    offerings.sort(key=lambda o: (o.subject.code, -o.section.grade_level.order, o.section.name))
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


# --- enrolments -----------------------------------------------------------------------------------------


def seed_academics_enrollments(ctx: DemoContext) -> None:
    """This year's enrolments: each new student in the section their family's seed placed them in."""
    year_start = ctx.year.start_date
    Enrollment.objects.bulk_create(
        [
            Enrollment(
                student=student,
                section=section,
                year=ctx.year,
                status=EnrollmentStatus.ACTIVE,
                enrolled_on=max(year_start, student.admission_date),
            )
            for student, section in ctx.placements
        ]
    )


# --- school days, and last year for a long history ------------------------------------------------------


def school_days(
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


def closed_days() -> set[datetime.date]:
    """Every day a holiday or closure of the calendar covers."""
    closed = set()
    for first, last in CalendarEvent.objects.closures().values_list("start_date", "end_date"):
        closed.update(first + datetime.timedelta(days=n) for n in range((last - first).days + 1))
    return closed


def seed_previous_year(ctx: DemoContext) -> tuple[list[Section], list[Term]]:
    """Last academic year, for a long history: its terms and calendar, and its sections (one grade lower, the
    same letters and homeroom teachers as this year's section of that name) holding this year's students
    who were already at the school. The top grade's students of last year have left; nobody is in them.
    Seeded for the large school's attendance history (modules/attendance/demo.py), which needs a long one."""
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
        batch_size=ENROLLMENT_BATCH,
    )
    ctx.counts["previous_year_sections"] = len(sections)
    return sections, terms
