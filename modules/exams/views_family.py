"""A child's grades for the family (guardian, the student), the child's teachers and the office: per subject
the marks, the term average and letter, the trend across the year's terms, and the report card link.

Families see published assessments only: every read goes through `Assessment.objects.visible_to`, in the
page and in its fragment alike; the averages are computed from those rows only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from modules.academics.models import Term
from modules.academics.selectors import current_enrollment, current_term, current_year
from modules.core.audit import record_view_log
from modules.core.htmx import render_page
from modules.core.models import RecordViewKind
from modules.exams.family_grades import subject_rows
from modules.exams.models import TermStatus
from modules.people.models import Student
from modules.people.selectors import family_students

TEMPLATE = "exams/family_child.html"


def _report_card_url(student: Student, term: Term) -> str:
    # The report-card helper's URL name ("report_card"; "report_card_pdf" in the brief): whichever exists.
    for name in ("exams:report_card", "exams:report_card_pdf"):
        try:
            return reverse(name, kwargs={"student_pk": student.pk, "term_pk": term.pk})
        except NoReverseMatch:
            continue
    return ""


@require_GET
@login_required
def child_grades(request, pk):
    """The page; for htmx (the term chooser) only the term's results fragment, scoped the same way."""
    student = get_object_or_404(Student.objects.filter(pk=pk).records_visible_to(request.user))
    year = current_year()
    enrollment = current_enrollment(student, year)
    terms = list(Term.objects.filter(year=year).order_by("start_date")) if year else []
    term = next((t for t in terms if str(t.pk) == request.GET.get("term", "")), None)
    term = term or current_term(year, timezone.localdate()) or (terms[-1] if terms else None)
    is_staff = (
        request.user.is_staff_member and not family_students(request.user).filter(pk=student.pk).exists()
    )
    if is_staff:
        record_view_log(actor=request.user, obj=student, kind=RecordViewKind.GRADES)
    published = bool(
        term and TermStatus.objects.filter(term=term, results_published_at__isnull=False).exists()
    )
    context = {
        "student": student,
        "enrollment": enrollment,
        "terms": terms,
        "term": term,
        "rows": subject_rows(request.user, enrollment.section, student, terms, term) if enrollment else [],
        "is_staff_view": is_staff,
        "report_card_url": _report_card_url(student, term) if term and (published or is_staff) else "",
    }
    return render_page(request, TEMPLATE, context, partial="results")
