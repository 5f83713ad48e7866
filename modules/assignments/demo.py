"""The demo school's homework: in every class of the current term, an assignment marked and returned (the
gradebook's own homework, its marks the exams.Mark rows the grades step wrote), one handed in and waiting to
be marked (essays as real text files in the default storage, two of each essay class copied from each other,
as are two of each of the demo teacher's classes, checked for similarity already; some late, some missing, a
few marked as drafts), one due in the coming days (some handed in early, some on paper), and now and then one
set to publish tomorrow (see modules/core/demo.py for how the seeds run, modules/demo/seed.py for their
order).

Written in bulk: a few thousand assignments and tens of thousands of hand-ins for the large school (800
classes) in a handful of batched inserts; only the essay files are written one by one, through the storage.
"""

from __future__ import annotations

import datetime
import hashlib
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Field
from django.utils import timezone

from modules.academics.demo import closed_days, school_days
from modules.academics.models import Enrollment, EnrollmentStatus
from modules.accounts.demo import PARENT_EMAIL, STUDENT_EMAIL, TEACHER_EMAIL
from modules.accounts.models import User
from modules.assignments.models import (
    Assignment,
    HandIn,
    LatePolicy,
    Submission,
    SubmissionFile,
)
from modules.assignments.notifications import MISSING_WORK
from modules.assignments.similarity_checks import similarity_check
from modules.assignments.states import days_late as work_days_late
from modules.communications.models import NotificationPreference
from modules.core.demo import DemoContext
from modules.core.uploads import private_upload_path
from modules.exams.models import Assessment, AssessmentCategory, AssessmentKind, Mark
from modules.people.models import Student

BATCH = 2_000
# Handed in as a file (an essay in a .txt file); the other subjects take a typed answer, art and PE on paper.
ESSAY_SUBJECTS = {"ENG", "HIST"}
PAPER_SUBJECTS = {"ART", "PE", "MUS"}
HOMEWORK_MAX = Decimal(10)

TITLES = {
    "MATH": ["Fractions and decimals", "Solving linear equations", "Area and perimeter", "Ratio problems"],
    "ENG": ["Persuasive essay", "Book review", "Character study", "Letter to the editor"],
    "SCI": ["Lab report: density", "The water cycle", "Forces and motion write-up", "Food webs"],
    "HIST": ["Causes of the First World War", "Life in a medieval town", "The Silk Road", "Source analysis"],
    "GEO": ["River landscapes", "Population change case study", "Weather and climate", "Map skills"],
    "PE": ["Training diary", "Rules of basketball poster", "Healthy week plan", "Warm-up routine"],
    "SPA": ["Mi rutina diaria", "Vocabulary: the city", "Past tense practice", "Describe your family"],
    "FRE": ["Ma famille", "Vocabulary: food and drink", "Le passé composé", "Directions in town"],
    "ART": ["Still life sketch", "Colour wheel", "Artist study: Frida Kahlo", "Texture collage"],
    "MUS": ["Listening log", "Rhythm notation", "Composer profile", "Instrument families"],
    "COMP": ["Algorithms in everyday life", "Spreadsheet formulas", "Staying safe online", "Binary numbers"],
}
INSTRUCTIONS = {
    HandIn.FILE: (
        "Write **400–600 words** in a text or Word document and upload it here.\n\n"
        "- Use your own words, and say where your facts come from.\n"
        "- Check your spelling before you hand it in."
    ),
    HandIn.TEXT: "Answer the questions from today's lesson in the box below. Show your working.",
    HandIn.PAPER: "Bring your work to the next lesson, on paper.",
}
FEEDBACK = {
    "high": [
        "Excellent work: clear, accurate and well organised.",
        "A thoughtful answer. Your examples are well chosen.",
        "Very good. Try a harder extension question next time.",
    ],
    "middle": [
        "Good effort. Check your working on the last questions.",
        "Solid work; explain your reasoning a little more.",
        "Mostly right. Re-read the instructions before you start.",
    ],
    "low": [
        "Some good ideas here. Come and see me so we can go over the method.",
        "Please redo the second half and check it against your notes.",
        "You have started well; finish every question next time.",
    ],
}
# Words for the demo's answers and essays: drawn at random, so that no two students share a run of words by
# chance (the similarity check must flag only the copies made on purpose).
_VOCABULARY = (
    "the a this that our their every many some most few history science evidence source river city "
    "people village market trade water energy force motion number fraction equation answer question "
    "result reason because therefore however although while since when after before during across "
    "between through within shows explains suggests describes compares changes grows moves falls rises "
    "measures records tests important clear simple careful different similar strong weak early late "
    "modern ancient local global rapid slow bright cold warm dry wet heavy light large small first "
    "second final main key useful students teachers farmers merchants scientists writers leaders workers "
    "families travellers sailors experiment method data graph table map chart letter story character "
    "theme argument example detail climate weather valley mountain coast forest desert island road "
    "bridge harbour castle church school we they it she he one which also often usually sometimes rarely "
    "never always still already perhaps"
)
WORDS = _VOCABULARY.split()


def _words(rng, count: int) -> str:
    """`count` random words as sentences of 6 to 14 words."""
    chosen = rng.choices(WORDS, k=count)
    sentences, start = [], 0
    while start < count:
        length = rng.randint(6, 14)
        part = chosen[start : start + length]
        sentences.append(part[0].capitalize() + " " + " ".join(part[1:]) + ".")
        start += length
    return " ".join(sentences)


def _essay(rng, title: str, words: int) -> str:
    paragraphs = [_words(rng, rng.randint(70, 110)) for _n in range(max(words // 90, 2))]
    return title + "\n\n" + "\n\n".join(paragraphs) + "\n"


def _copy_of(rng, text: str) -> str:
    """A copy with a few words changed and a sentence added: what a student who borrowed an essay hands in."""
    words = text.split(" ")
    for _n in range(max(len(words) // 60, 2)):
        words[rng.randrange(len(words))] = rng.choice(WORDS)
    return " ".join(words).rstrip() + " " + _words(rng, 12) + "\n"


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), timezone.get_current_timezone())


def _lineage(rng) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _band(share: float) -> str:
    return "high" if share >= 0.8 else "middle" if share >= 0.6 else "low"


def _current_term(ctx: DemoContext):
    started = [term for term in ctx.terms if term.start_date <= ctx.today]
    return started[-1] if started else ctx.terms[0]


def _rosters() -> dict[int, list[int]]:
    roster: dict[int, list[int]] = defaultdict(list)
    for section_id, student_id in (
        Enrollment.objects.filter(year__is_current=True, status=EnrollmentStatus.ACTIVE)
        .order_by("section_id", "student_id")
        .values_list("section_id", "student_id")
    ):
        roster[section_id].append(student_id)
    return roster


@dataclass
class _Planner:
    """What each class gets, before anything is written: the assignments in order, with their assessments
    (the gradebook's homework for the returned one, new ones for the others)."""

    ctx: DemoContext
    term: Any
    past: list[datetime.date]
    coming: list[datetime.date]
    categories: dict[int, int]
    returned_homework: dict[int, Assessment]
    demo_teacher: int | None = None
    plan: list[tuple[str, Assignment, Assessment | None]] = field(default_factory=list)
    new_assessments: list[Assessment] = field(default_factory=list)
    lineages: dict[tuple, uuid.UUID] = field(default_factory=dict)

    def assignment(self, offering, kind: str, slot: int, **fields) -> Assignment:
        titles = TITLES.get(offering.subject.code, ["Homework"])
        title = fields.pop("title", titles[slot % len(titles)])
        teacher = offering.teacher.user_id
        key = (teacher, offering.section.grade_level_id, offering.subject.code, kind)
        if key not in self.lineages:  # one teacher sets the same homework for all their sections of a grade
            self.lineages[key] = _lineage(self.ctx.rng)
        hand_in = fields.pop("hand_in")
        return Assignment(
            offering_id=offering.pk,
            term_id=self.term.pk,
            lineage=self.lineages[key],
            title=title,
            instructions=INSTRUCTIONS[hand_in],
            hand_in=hand_in,
            allowed_extensions="txt,pdf,docx,odt" if hand_in == HandIn.FILE else "",
            created_by_id=teacher,
            **fields,
        )

    def assessment(self, offering, name: str, day: datetime.date) -> Assessment:
        assessment = Assessment(
            offering_id=offering.pk,
            term_id=self.term.pk,
            category_id=self.categories.get(offering.pk),
            name=name,
            kind=AssessmentKind.HOMEWORK,
            max_score=HOMEWORK_MAX,
            date=day,
            created_by_id=offering.teacher.user_id,
        )
        self.new_assessments.append(assessment)
        return assessment

    def offering(self, offering) -> None:
        rng, today = self.ctx.rng, self.ctx.today
        code = offering.subject.code
        essay = code in ESSAY_SUBJECTS
        paper = code in PAPER_SUBJECTS
        # Returned: the gradebook's homework, typed (or on paper).
        homework = self.returned_homework.get(offering.pk)
        if homework is not None:
            due = _at(homework.date, 8, 30)
            opens = due - datetime.timedelta(days=7)
            returned = self.assignment(
                offering,
                "returned",
                0,
                hand_in=HandIn.PAPER if paper else HandIn.TEXT,
                opens_at=opens,
                due_at=due,
                published_at=opens,
                notified_at=opens,
                reminded_at=due - datetime.timedelta(hours=16, minutes=30),
            )
            self.plan.append(("returned", returned, homework))
        # Handed in, to mark: due a few school days ago; late work accepted for a week at 10% a day.
        if self.past:
            due_day = self.past[-min(len(self.past), rng.randint(1, 3))]
            due = _at(due_day, 8, 30)
            opens = due - datetime.timedelta(days=6)
            to_mark = self.assignment(
                offering,
                "to_mark",
                1,
                # The demo teacher's classes hand in files whatever the subject: their inbox shows essays.
                hand_in=HandIn.FILE
                if essay or offering.teacher.user_id == self.demo_teacher
                else HandIn.PAPER
                if paper
                else HandIn.TEXT,
                opens_at=opens,
                due_at=due,
                late_policy=LatePolicy.ACCEPT,
                late_until=due + datetime.timedelta(days=7),
                late_penalty_percent=Decimal(10),
                published_at=opens,
                notified_at=opens,
                reminded_at=due - datetime.timedelta(hours=16, minutes=30),
            )
            self.plan.append(("to_mark", to_mark, self.assessment(offering, to_mark.title, due_day)))
        # Due in the coming days (tomorrow for some classes).
        due_day = self.coming[rng.randrange(min(len(self.coming), 4))]
        opens = _at(today - datetime.timedelta(days=rng.randint(1, 3)), 16)
        due_soon = self.assignment(
            offering,
            "due",
            2,
            hand_in=HandIn.PAPER if paper else HandIn.FILE if essay else HandIn.TEXT,
            opens_at=opens,
            due_at=_at(due_day, 8, 30),
            late_policy=LatePolicy.REFUSE if code == "MATH" else LatePolicy.ACCEPT,
            published_at=opens,
            notified_at=opens,
        )
        self.plan.append(("due", due_soon, self.assessment(offering, due_soon.title, due_day)))
        # Now and then one set to publish tomorrow morning (not graded: a reading log).
        if rng.random() < 0.25:
            publish = _at(today + datetime.timedelta(days=1), 7)
            scheduled = self.assignment(
                offering,
                "scheduled",
                3,
                title="Reading log",
                hand_in=HandIn.TEXT,
                opens_at=publish,
                due_at=publish + datetime.timedelta(days=7),
                publish_at=publish,
            )
            self.plan.append(("scheduled", scheduled, None))


def seed_assignments(ctx: DemoContext) -> None:
    """Homework in every class: see the module's docstring. The demo parent has the missing-work digest on."""
    today = ctx.today
    term = _current_term(ctx)
    days = school_days(term.start_date, term.end_date, [term], closed_days())
    past = [day for day in days if day < today]
    coming = [day for day in days if day > today][:6] or [today + datetime.timedelta(days=3)]
    roster = _rosters()
    demo_student = Student.objects.filter(user__email=STUDENT_EMAIL).values_list("pk", flat=True).first()
    demo_teacher = User.objects.filter(email=TEACHER_EMAIL).values_list("pk", flat=True).first()
    categories = dict(
        AssessmentCategory.objects.filter(offering__in=ctx.offerings, name="Homework").values_list(
            "offering_id", "pk"
        )
    )
    # The grades step's newest published homework of each class this term: the assignment that was returned.
    returned_homework: dict[int, Assessment] = {}
    for homework in Assessment.objects.filter(
        term=term, kind=AssessmentKind.HOMEWORK, published_at__isnull=False, date__lt=today
    ).order_by("date", "pk"):
        returned_homework[homework.offering_id] = homework

    planner = _Planner(ctx, term, past, coming, categories, returned_homework, demo_teacher)
    for offering in ctx.offerings:
        planner.offering(offering)
    plan, new_assessments = planner.plan, planner.new_assessments
    assignments: list[Assignment] = []

    Assessment.objects.bulk_create(new_assessments, batch_size=BATCH)
    # The gradebook's homework takes its assignment's title, as setting one keeps them in step.
    renamed = []
    for kind, assignment, assessment in plan:
        if kind == "returned" and assessment is not None:
            assessment.name = assignment.title[:100]
            renamed.append(assessment)
    Assessment.objects.bulk_update(renamed, ["name"], batch_size=BATCH)
    for _kind, assignment, assessment in plan:
        if assessment is not None:
            assignment.assessment_id = assessment.pk
        assignments.append(assignment)
    Assignment.objects.bulk_create(assignments, batch_size=BATCH)

    section_of = {o.pk: o.section.pk for o in ctx.offerings}
    marks = _returned_marks([a for kind, a, _x in plan if kind == "returned"])
    missing_essay = [demo_student]  # the demo student misses one essay (the first essay class's)
    submissions: list[Submission] = []
    texts: dict[int, tuple[str, str]] = {}  # index in submissions -> (file name, contents) for file hand-ins
    for kind, assignment, assessment in plan:
        students = roster[section_of[assignment.offering_id]]
        if kind == "returned" and assessment is not None:
            submissions += _returned(ctx, assignment, assessment, students, marks)
        elif kind == "to_mark":
            start = len(submissions)
            skip = (
                missing_essay[0] if assignment.hand_in == HandIn.FILE and demo_student in students else None
            )
            if skip is not None:
                missing_essay[0] = None
            copied = assignment.created_by_id == demo_teacher
            handed, files = _to_mark(ctx, assignment, students, skip, copied)
            submissions += handed
            texts.update({start + index: named for index, named in files.items()})
        elif kind == "due":
            submissions += _early(ctx, assignment, students)
    _insert_submissions(submissions)
    with_files = {(submissions[index].assignment_id, submissions[index].student_id) for index in texts}
    ids = {
        (assignment_id, student_id): pk
        for assignment_id, student_id, pk in Submission.objects.filter(
            assignment__in=[a for kind, a, _x in plan if a.hand_in == HandIn.FILE and kind == "to_mark"]
        ).values_list("assignment_id", "student_id", "pk")
        if (assignment_id, student_id) in with_files
    }
    stored = []
    for index, (name, contents) in texts.items():
        submission = submissions[index]
        submission.pk = ids[(submission.assignment_id, submission.student_id)]
        stored.append(_stored_file(submission, name, contents, submission.submitted_at))
    SubmissionFile.objects.bulk_create(stored, batch_size=BATCH)
    # The demo teacher's work to mark is checked already, so their inbox shows the copied pair flagged; the
    # other classes' is checked by the queue's sweep once a worker runs (tasks/assignments_similarity.py).
    for kind, assignment, _assessment in plan:
        if (
            kind == "to_mark"
            and assignment.created_by_id == demo_teacher
            and assignment.hand_in != HandIn.PAPER
        ):
            similarity_check(assignment=assignment)
    _demo_parent_digest_on()
    ctx.counts["assignments"] = len(assignments)
    ctx.counts["submissions"] = len(submissions)
    ctx.counts["submission_files"] = len(stored)


SUBMISSION_COLUMNS = (
    "assignment",
    "student",
    "text",
    "submitted_at",
    "version",
    "is_late",
    "days_late",
    "raw_score",
    "penalty_percent",
    "feedback",
    "feedback_file",
    "feedback_file_name",
    "marked_at",
    "marked_by",
    "returned_at",
    "notified_at",
    "updated_at",
)


def _insert_submissions(rows: list[Submission]) -> None:
    """Hand-ins are the demo's largest homework table (tens of thousands of rows in the large school):
    bulk_create spends most of its time preparing every field of every row, so one executemany per batch of
    values adapted once (a few hundred distinct times and scores). The database's constraints still check
    every row."""
    ops = connection.ops
    adapted: dict[object, object] = {}

    def db(value):
        if isinstance(value, datetime.datetime):
            if value not in adapted:
                adapted[value] = ops.adapt_datetimefield_value(value)
            return adapted[value]
        if isinstance(value, Decimal):
            if value not in adapted:
                adapted[value] = ops.adapt_decimalfield_value(value, 6, 2)
            return adapted[value]
        return value

    now = timezone.now()
    fields = [cast(Field, Submission._meta.get_field(name)) for name in SUBMISSION_COLUMNS]
    attnames = [field.attname for field in fields]
    columns = ", ".join(ops.quote_name(field.column or field.name) for field in fields)
    sql = (
        f"INSERT INTO {ops.quote_name(Submission._meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            values = []
            for row in rows[start : start + BATCH]:
                row.updated_at = now
                row.feedback_file = ""
                values.append(
                    tuple(db(getattr(row, name)) if name != "feedback_file" else "" for name in attnames)
                )
            cursor.executemany(sql, values)


def _returned_marks(assignments: list[Assignment]) -> dict[tuple[int, int], Mark]:
    ids = [a.assessment_id for a in assignments if a.assessment_id is not None]
    found = {}
    for start in range(0, len(ids), 500):
        for mark in Mark.objects.filter(assessment_id__in=ids[start : start + 500]).only(
            "assessment_id", "student_id", "score", "code", "entered_at", "entered_by_id"
        ):
            found[(mark.assessment_id, mark.student_id)] = mark
    return found


def _returned(
    ctx: DemoContext, assignment: Assignment, homework: Assessment, students: list[int], marks
) -> list[Submission]:
    """Every student the gradebook gave a score: handed in before the due time, marked with feedback and
    returned when the gradebook's homework was published. A missing or excused mark: nothing handed in."""
    rng = ctx.rng
    returned = homework.published_at
    rows = []
    for student_id in students:
        mark = marks.get((homework.pk, student_id))
        if mark is None or mark.score is None:
            continue
        handed = assignment.due_at - datetime.timedelta(hours=rng.randint(10, 60))
        typed = assignment.hand_in == HandIn.TEXT
        rows.append(
            Submission(
                assignment_id=assignment.pk,
                student_id=student_id,
                text=_words(rng, rng.randint(40, 90)) if typed else "",
                submitted_at=handed,
                version=1 if typed else 0,
                raw_score=mark.score,
                feedback=rng.choice(FEEDBACK[_band(float(mark.score / homework.max_score))]),
                marked_at=mark.entered_at,
                marked_by_id=mark.entered_by_id,
                returned_at=returned,
                notified_at=returned,
            )
        )
    return rows


def _to_mark(
    ctx: DemoContext, assignment: Assignment, students: list[int], skipped: int | None, copied: bool
) -> tuple[list[Submission], dict[int, tuple[str, str]]]:
    """Most hand in on time, some late, some not at all (and `skipped`, the demo student in one class); in
    an essay class (and, when `copied`, in a class of typed answers) the second hand-in is a copy of the
    first. The first few are marked as drafts."""
    rng = ctx.rng
    rows: list[Submission] = []
    files: dict[int, tuple[str, str]] = {}
    essays: list[str] = []
    on_paper = assignment.hand_in == HandIn.PAPER
    for student_id in students:
        roll = rng.random()
        if roll < 0.1 or student_id == skipped:
            continue  # missing
        late = roll > 0.9 and not on_paper
        handed = (
            assignment.due_at + datetime.timedelta(hours=rng.randint(2, 40))
            if late
            else assignment.due_at - datetime.timedelta(hours=rng.randint(3, 70))
        )
        days_late = work_days_late(assignment.due_at, handed)
        submission = Submission(
            assignment_id=assignment.pk,
            student_id=student_id,
            submitted_at=handed,
            version=0 if on_paper else 1,
            is_late=late,
            days_late=days_late,
        )
        if assignment.hand_in == HandIn.FILE:
            text = _copy_of(rng, essays[0]) if len(essays) == 1 else _essay(rng, assignment.title, 450)
            essays.append(text)
            files[len(rows)] = (f"{assignment.title.lower().replace(' ', '-').replace(':', '')}.txt", text)
        elif assignment.hand_in == HandIn.TEXT:
            text = (
                _copy_of(rng, essays[0]) if copied and len(essays) == 1 else _words(rng, rng.randint(60, 140))
            )
            essays.append(text)
            submission.text = text
        if len(rows) < 4:  # the teacher has started marking
            submission.raw_score = Decimal(rng.randint(10, 20)) / 2
            submission.feedback = rng.choice(FEEDBACK[_band(float(submission.raw_score / HOMEWORK_MAX))])
            submission.marked_at = handed + datetime.timedelta(days=1)
            submission.marked_by_id = assignment.created_by_id
        rows.append(submission)
    return rows, files


def _early(ctx: DemoContext, assignment: Assignment, students: list[int]) -> list[Submission]:
    """Due in the coming days: a few students have already typed their answer."""
    rng = ctx.rng
    if assignment.hand_in != HandIn.TEXT:
        return []
    rows = []
    for student_id in students:
        if rng.random() >= 0.12:
            continue
        rows.append(
            Submission(
                assignment_id=assignment.pk,
                student_id=student_id,
                text=_words(rng, rng.randint(60, 120)),
                submitted_at=assignment.opens_at + datetime.timedelta(hours=rng.randint(2, 20)),
                version=1,
            )
        )
    return rows


def _stored_file(submission: Submission, name: str, contents: str, uploaded) -> SubmissionFile:
    data = contents.encode()
    row = SubmissionFile(
        submission_id=submission.pk,
        version=submission.version,
        name=name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content_type="text/plain",
        uploaded_at=uploaded,
    )
    row.file.name = default_storage.save(private_upload_path("submissions", row, name), ContentFile(data))
    return row


def _demo_parent_digest_on() -> None:
    parent = User.objects.filter(email=PARENT_EMAIL).values_list("pk", flat=True).first()
    if parent is not None:
        NotificationPreference.objects.get_or_create(
            user_id=parent, kind=MISSING_WORK.key, defaults={"in_app": True, "email": True}
        )
