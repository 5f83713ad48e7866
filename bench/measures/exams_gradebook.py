"""The gradebook on the large school: one class of 40 students × 30 assessments, and one cell saved.

Reuses the attendance bench's "Bench 40" section (40 students, its homeroom teacher): the teacher gets a
Mathematics-like offering there ("Bench grades" subject), with three weighted categories and 30 assessments in
the current term, every cell marked. Created once and kept; nothing else in the demo school points at it.
"""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse

from bench.measures.attendance_register import BENCH_TEACHER_EMAIL, FORM, bench_register
from bench.registry import measure

ASSESSMENTS = 30


def bench_gradebook():
    """The bench fixture (idempotent): the 40-student offering with 30 marked assessments."""
    from modules.academics.models import CourseOffering, Subject
    from modules.academics.selectors import current_term
    from modules.exams.gradebook import active_students
    from modules.exams.models import Assessment, AssessmentCategory, Mark

    register = bench_register()
    section = register.section
    subject, _created = Subject.objects.get_or_create(code="BENCHGR", defaults={"name": "Bench grades"})
    offering, _created = CourseOffering.objects.get_or_create(
        subject=subject, section=section, defaults={"teacher": section.homeroom_teacher}
    )
    term = current_term(section.year, register.date) or section.year.terms.order_by("start_date").first()
    categories = []
    for name, weight in (("Homework", 20), ("Tests", 50), ("Exam", 30)):
        category, _created = AssessmentCategory.objects.get_or_create(
            offering=offering, name=name, defaults={"weight": weight}
        )
        categories.append(category)
    have = Assessment.objects.filter(offering=offering, term=term).count()
    if have < ASSESSMENTS:
        Assessment.objects.bulk_create(
            Assessment(
                offering=offering,
                term=term,
                category=categories[n % 3],
                name=f"Bench assessment {n:02d}",
                max_score=Decimal(20),
                date=term.start_date + datetime.timedelta(days=n),
            )
            for n in range(have, ASSESSMENTS)
        )
    students = active_students(offering)
    assessments = list(Assessment.objects.filter(offering=offering, term=term))
    marked = set(Mark.objects.filter(assessment__in=assessments).values_list("assessment_id", "student_id"))
    Mark.objects.bulk_create(
        Mark(assessment=a, student=s, score=Decimal((a.pk + s.pk) % 21), max_score=a.max_score)
        for a in assessments
        for s in students
        if (a.pk, s.pk) not in marked
    )
    return offering, term, students, assessments


@measure("exams: gradebook page, 40 students × 30 assessments (teacher)", budget_ms=120, budget_queries=10)
def gradebook_page(bench):
    offering, term, _students, _assessments = bench_gradebook()
    client = bench.client_for(BENCH_TEACHER_EMAIL)
    url = f"{reverse('exams:gradebook', args=[offering.pk])}?term={term.pk}"
    return lambda: bench.get(client, url)


@measure(
    "exams: one gradebook cell saved (HTMX)",
    budget_ms=10,
    note="Each run changes the next cell of the first assessment's column (an update of a saved mark, "
    "audited), and renders back the cell and the student's weighted average and letter.",
)
def gradebook_cell(bench):
    from bench.runner import BenchError

    offering, _term, students, assessments = bench_gradebook()
    client = bench.client_for(BENCH_TEACHER_EMAIL)
    url = reverse("exams:gradebook_cell", args=[offering.pk])
    first = assessments[0]
    turns = itertools.cycle((s.pk, value) for value in ("12", "13.5") for s in students)
    from modules.exams.models import Mark

    # Each cell sends its base (what it shows), as gradebook.js does; a stale base is refused (409).
    shown = {mark.student_id: mark.display for mark in Mark.objects.filter(assessment=first)}

    def run():
        student, value = next(turns)
        data = urlencode(
            {"assessment": first.pk, "student": student, "value": value, "base": shown.get(student, "")}
        )
        response = client.post(url, data, content_type=FORM, headers={"HX-Request": "true"})
        if response.status_code != 200:
            raise BenchError(f"POST {url} answered {response.status_code}")
        shown[student] = value

    return run
