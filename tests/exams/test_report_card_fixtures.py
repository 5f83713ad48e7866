"""Shared setup for the report-card tests: a scale, marks (published and not), comments, attendance."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal as D

from django.utils import timezone
from pypdf import PdfReader

from modules.exams.models import CommentKind, GradeBand, GradingScale, TermComment, TermStatus
from tests import factories as f


def pdf_pages(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def pdf_bookmarks(content: bytes) -> list[tuple[str, int]]:
    """The PDF's top-level bookmarks (what a viewer's sidebar lists): title and page index of each."""
    reader = PdfReader(io.BytesIO(content))
    return [(item.title, reader.get_destination_page_number(item)) for item in reader.outline]


def grading_scale() -> GradingScale:
    scale = GradingScale.objects.create(name="Default", pass_mark=D(50))
    for letter, low, descriptor in [
        ("A", 90, "Excellent"),
        ("B", 75, "Good"),
        ("C", 50, "Pass"),
        ("F", 0, "Fail"),
    ]:
        GradeBand.objects.create(
            scale=scale, letter=letter, min_percent=D(low), gpa_points=D(2), descriptor=descriptor
        )
    return scale


def publish_term(term) -> None:
    TermStatus.objects.update_or_create(term=term, defaults={"results_published_at": timezone.now()})


def sams_term(school):
    """Maths for Sam: Quiz A 18/20 (published), Quiz B 4/20 (unpublished); comments; 5 registers."""
    grading_scale()
    now = timezone.now()
    published = f.AssessmentFactory(
        offering=school.offering, term=school.term, name="Quiz A", max_score=20, published_at=now
    )
    hidden = f.AssessmentFactory(offering=school.offering, term=school.term, name="Quiz B", max_score=20)
    f.MarkFactory(assessment=published, student=school.child, score=18)
    f.MarkFactory(assessment=hidden, student=school.child, score=4)
    TermComment.objects.create(
        student=school.child,
        term=school.term,
        kind=CommentKind.SUBJECT,
        offering=school.offering,
        text="Strong in algebra.",
    )
    TermComment.objects.create(
        student=school.child, term=school.term, kind=CommentKind.HOMEROOM, text="A kind classmate."
    )
    TermComment.objects.create(
        student=school.child, term=school.term, kind=CommentKind.PRINCIPAL, text="Keep it up."
    )
    statuses = ["present", "present", "present", "late", "absent"]
    for offset, status in enumerate(statuses):
        day = school.term.start_date + datetime.timedelta(days=offset)
        register = f.RegisterFactory(section=school.section, date=day, state="submitted")
        f.AttendanceRecordFactory(register=register, student=school.child, status=status)
    # A register still being taken is not a possible session yet (selectors.session_records).
    register = f.RegisterFactory(
        section=school.section, date=school.term.start_date + datetime.timedelta(days=6), state="in_progress"
    )
    f.AttendanceRecordFactory(register=register, student=school.child, status="absent")
    return published, hidden
