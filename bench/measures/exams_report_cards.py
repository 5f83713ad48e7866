"""Report cards on the large school: a 40-card batch against WeasyPrint alone, and a 200-card batch.

The issue's budget is relative: the batch's time per card (building every card's data, rendering the HTML,
laying out and writing ONE document) must stay within 1.3 × the time WeasyPrint needs per card to render
the same HTML as one document. The setup times WeasyPrint alone on that HTML first (median of 3); each
timed run then writes the ratio into the measure's note (`timed.note`) and the absolute budget follows from
the baseline (`timed.budget_ms`); the static budgets below are fallbacks from a reference machine.

The demo's sections hold 30 students, so the 40 cards are the first 40 students of a grade level this year
(sorted by section then name, as the batch prints them): one section and the start of the next. Marks may
be sparse in the large school: the cards print whatever marks exist (or none); the layout is the same.
"""

from __future__ import annotations

import statistics
import time

from bench.registry import measure

RATIO_BUDGET = 1.3


def _term_and_students(count: int):
    from modules.academics.models import Enrollment, EnrollmentStatus, GradeLevel, Term
    from modules.academics.selectors import current_year
    from modules.exams.models import Assessment

    year = current_year()
    terms = Term.objects.filter(year=year).order_by("start_date")
    term = next((t for t in terms if Assessment.objects.filter(term=t).exists()), None) or terms.first()
    students: list[int] = []
    for grade in GradeLevel.objects.order_by("order"):
        students = list(
            Enrollment.objects.filter(year=year, section__grade_level=grade, status=EnrollmentStatus.ACTIVE)
            .order_by("section__name", "student__last_name", "student__first_name")
            .values_list("student_id", flat=True)[:count]
        )
        if len(students) >= count or count > 40:
            break
    if count > 40 and len(students) < count:
        students = list(
            Enrollment.objects.filter(year=year, status=EnrollmentStatus.ACTIVE)
            .order_by("section__grade_level__order", "section__name", "student__last_name")
            .values_list("student_id", flat=True)[:count]
        )
    return term, students


def _weasyprint_alone(html: str) -> float:
    """Seconds WeasyPrint takes to lay out and write `html` as one document (median of 3)."""
    from modules.exams.report_cards import _document

    samples = []
    for _run in range(3):
        started = time.perf_counter()
        _document(html).write_pdf()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


@measure(
    "report cards: 40-card batch (one document)",
    budget_ms=12000,
    runs=5,
    warmup=1,
    note="Per-card time vs WeasyPrint alone on the same HTML: filled in by the run (see the measure's doc).",
)
def forty_cards(bench):
    from modules.exams import report_cards

    term, students = _term_and_students(40)
    batch = report_cards.cards_build(term=term, student_ids=students, published_only=False)
    cards = len(batch.cards)
    baseline = _weasyprint_alone(report_cards.cards_html(batch))

    def timed():
        started = time.perf_counter()
        built = report_cards.cards_build(term=term, student_ids=students, published_only=False)
        report_cards.cards_pdf(built)
        elapsed = time.perf_counter() - started
        per_card, alone = elapsed * 1000 / cards, baseline * 1000 / cards
        ratio = per_card / alone
        timed.note = (
            f"{cards} cards: {per_card:.1f} ms per card through the batch vs {alone:.1f} ms per card for "
            f"WeasyPrint alone on the same HTML as one document: ratio {ratio:.2f} "
            f"({'within' if ratio <= RATIO_BUDGET else 'OVER'} the {RATIO_BUDGET} × budget)."
        )
        print(f"[report cards] {timed.note}")

    timed.budget_ms = baseline * 1000 * RATIO_BUDGET
    return timed


@measure(
    "report cards: 200-card batch (parts merged)",
    budget_ms=60000,
    runs=2,
    warmup=0,
    note="Cards per second: filled in by the run.",
)
def two_hundred_cards(bench):
    """As the batch prints them: parts of STUDENTFLOW_REPORT_CARD_PART_SIZE cards, each laid out under the
    PDF limits (a part is what a killed worker resumes after), merged into one PDF."""
    from dataclasses import replace

    from django.conf import settings

    from modules.exams import report_cards

    term, students = _term_and_students(200)
    size = settings.STUDENTFLOW_REPORT_CARD_PART_SIZE

    def timed():
        started = time.perf_counter()
        built = report_cards.cards_build(term=term, student_ids=students, published_only=False)
        parts = [
            report_cards.cards_pdf(replace(built, cards=built.cards[start : start + size])).pdf
            for start in range(0, len(built.cards), size)
        ]
        _pdf, pages = report_cards.pdfs_merge(parts)
        elapsed = time.perf_counter() - started
        timed.note = (
            f"{len(built.cards)} cards ({pages} pages, {len(parts)} parts) in {elapsed:.1f} s: "
            f"{len(built.cards) / elapsed:.1f} cards per second."
        )
        print(f"[report cards] {timed.note}")

    return timed
