"""Report cards: one card as PDF (office, the student's teachers, the family once published), the office's
batch printing (a background job making one merged PDF) and emailing families."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from modules.academics.models import Enrollment, Section, Term
from modules.accounts import rules
from modules.accounts.decorators import administrator_required
from modules.accounts.models import Role
from modules.core.audit import record_view_log
from modules.core.exports import export_refusal
from modules.core.models import Job, RecordViewKind
from modules.core.pdf import pdf_response
from modules.exams import report_cards
from modules.exams.forms_reportcards import ReportCardChoiceForm
from modules.people.models import Student


def _card_for_user(request, student_pk: int, term_pk: int) -> tuple[Student, Term, bool]:
    """The student, term and whether only published marks show, or 404: the office and the student's
    teachers any time (a preview); the student and their guardians once the term's results are published."""
    user = request.user
    student = get_object_or_404(Student.objects.filter(pk=student_pk).visible_to(user))
    term = get_object_or_404(Term, pk=term_pk)
    if not Enrollment.objects.filter(student=student, year_id=term.year_id).exists():
        raise Http404
    if rules.is_administrator(user):
        return student, term, False
    roles = user.roles
    if (
        Role.TEACHER in roles
        and Section.objects.taught_by(user)
        .filter(enrollments__student=student, year_id=term.year_id)
        .exists()
    ):
        return student, term, False
    family = (Role.STUDENT in roles and student.user_id == user.pk) or (
        Role.GUARDIAN in roles and student.guardian_links.filter(guardian__user=user).exists()
    )
    if family and report_cards.results_published(term):
        return student, term, True
    raise Http404


@require_GET
@login_required
def report_card(request, student_pk: int, term_pk: int):
    student, term, published_only = _card_for_user(request, student_pk, term_pk)
    if not published_only:  # the office or the student's teacher, not the family
        record_view_log(actor=request.user, obj=student, kind=RecordViewKind.REPORT_CARD)
    batch = report_cards.cards_build(term=term, student_ids=[student.pk], published_only=published_only)
    rendered = report_cards.cards_pdf(batch)
    filename = report_cards.card_filename(batch)
    response = pdf_response(rendered.pdf, filename)
    # The student's and the term's names in their own letters (filename*), with an ASCII fallback.
    response.headers["Content-Disposition"] = report_cards.card_disposition(filename)
    return response


def _recent_jobs():
    return Job.objects.filter(kind=report_cards.JOB_KIND).select_related("owner").order_by("-created_at")[:10]


@require_http_methods(["GET", "POST"])
@administrator_required
def report_card_batch(request):
    """Choose a term and sections (or a grade level), then print them all as one PDF on the queue."""
    form = ReportCardChoiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # A class's or a grade's cards are its pupils' marks in bulk: an export like any other.
        if (refusal := export_refusal(request)) is not None:
            return refusal
        job = report_cards.report_card_batch_start(
            term=form.cleaned_data["term"],
            sections=form.cleaned_data["chosen_sections"],
            duplex=form.cleaned_data["duplex"],
            by=request.user,
        )
        return redirect("job_progress", job.pk)
    status = 400 if form.is_bound else 200
    return render(
        request, "exams/report_card_batch.html", {"form": form, "jobs": _recent_jobs()}, status=status
    )


@require_POST
@administrator_required
def report_card_email(request):
    """Email each family its children's cards for the same choice (only once the term is published)."""
    form = ReportCardChoiceForm(request.POST)
    if not form.is_valid():
        return render(
            request, "exams/report_card_batch.html", {"form": form, "jobs": _recent_jobs()}, status=400
        )
    term = form.cleaned_data["term"]
    if not report_cards.results_published(term):
        form.add_error("term", _("Publish the term's results first: families cannot open the cards before."))
        return render(
            request, "exams/report_card_batch.html", {"form": form, "jobs": _recent_jobs()}, status=400
        )
    result = report_cards.report_cards_email(
        term=term,
        sections=form.cleaned_data["chosen_sections"],
        card_url=lambda student_pk, term_pk: reverse("exams:report_card", args=[student_pk, term_pk]),
    )
    messages.success(
        request,
        ngettext(
            "%(count)s guardian was told their child's report card is ready.",
            "%(count)s guardians were told their children's report cards are ready.",
            result.notified,
        )
        % {"count": result.notified},
    )
    if result.without_login:
        messages.warning(
            request,
            ngettext(
                "%(count)s guardian has no login to the portal and was skipped.",
                "%(count)s guardians have no login to the portal and were skipped.",
                result.without_login,
            )
            % {"count": result.without_login},
        )
    if result.unreachable:
        messages.warning(
            request, _("No address on file: %(names)s") % {"names": "; ".join(result.unreachable)}
        )
    return redirect("exams:report_card_batch")
