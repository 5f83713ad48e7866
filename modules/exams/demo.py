"""The demo school's grades: grading scales, each class's assessment categories, every started term's
assessments with marks, past terms' comments published and locked, and the current term's exam timetable
(see modules/core/demo.py for how the seeds run, modules/demo/seed.py for their order).
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from modules.academics.demo import closed_days, school_days
from modules.academics.models import Enrollment, EnrollmentStatus, Term
from modules.core.demo import DemoContext
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
from modules.exams.results import results_rebuild

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
        days = school_days(term.start_date, term.end_date, [term], closed)
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
    days = school_days(term.start_date, term.end_date, [term], closed)
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
    closed = closed_days()
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


def seed_subject_results(ctx: DemoContext) -> None:
    """The students' stored term averages, counted from every mark the steps before wrote (the grades, the
    homework returned): last, after every step that gives marks."""
    ctx.counts["subject_results"] = results_rebuild()
