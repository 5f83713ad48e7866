"""Staff pages of grades outside the gradebook: the office's grading scales and term controls (publish all
results, lock, unlock), term comments (class teachers, homeroom teachers, the principal) and statistics."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from modules.academics.models import GradeLevel, Section, Term
from modules.academics.selectors import current_term, current_year
from modules.accounts.decorators import administrator_required
from modules.accounts.rules import is_administrator
from modules.core.access import role_required
from modules.core.concurrency import EditConflict
from modules.core.htmx import render_page
from modules.exams import comments, stats
from modules.exams.forms_office import BandFormSet, CommentForm, GradingScaleForm, UnlockForm
from modules.exams.models import Assessment, CommentKind, GradingScale, TermStatus
from modules.exams.publishing import (
    TermError,
    grading_scale_save,
    term_lock,
    term_results_publish,
    term_unlock,
)
from modules.exams.rules import can_mark

# Grading scales (office)


@require_GET
@administrator_required
def scale_list(request):
    scales = list(GradingScale.objects.select_related("grade_level").prefetch_related("bands"))
    covered = {scale.grade_level_id for scale in scales}
    context = {
        "scales": scales,
        "has_default": None in covered,
        "uncovered": [
            level for level in GradeLevel.objects.order_by("order", "name") if level.pk not in covered
        ],
    }
    return render(request, "exams/office_scales.html", context)


def _scale_form(request, scale: GradingScale | None):
    instance = scale or GradingScale()
    form = GradingScaleForm(request.POST or None, instance=instance)
    bands = BandFormSet(request.POST or None, instance=instance, prefix="bands")
    if request.method == "POST" and form.is_valid() and bands.is_valid():
        saved = grading_scale_save(form=form, bands=bands, by=request.user)
        messages.success(request, _("The grading scale “%(name)s” was saved.") % {"name": saved.name})
        return redirect("exams:scale_list")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "bands": bands, "scale": scale}
    return render(request, "exams/office_scale_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@administrator_required
def scale_create(request):
    return _scale_form(request, None)


@require_http_methods(["GET", "POST"])
@administrator_required
def scale_edit(request, pk):
    return _scale_form(request, get_object_or_404(GradingScale, pk=pk))


# Term results (office)


@require_GET
@administrator_required
def term_list(request):
    year = current_year()
    terms = list(
        Term.objects.filter(year=year)
        .select_related("results_status__locked_by")
        .annotate(assessment_count=Count("assessments"))
        .order_by("start_date")
        if year
        else []
    )
    unpublished = dict(
        Assessment.objects.filter(term__in=terms, published_at__isnull=True)
        .values_list("term_id")
        .annotate(n=Count("pk"))
        .values_list("term_id", "n")
    )
    for term in terms:
        term.status = _status_of(term)
        term.unpublished = unpublished.get(term.pk, 0)
    return render(
        request, "exams/office_terms.html", {"terms": terms, "year": year, "unlock_form": UnlockForm()}
    )


def _status_of(term: Term) -> TermStatus | None:
    try:
        return term.results_status
    except TermStatus.DoesNotExist:
        return None


@require_POST
@administrator_required
def term_publish(request, pk):
    term = get_object_or_404(Term, pk=pk)
    published = term_results_publish(term=term, by=request.user)
    messages.success(
        request,
        ngettext(
            "%(term)s results are published (%(count)s more assessment made visible). Families are told.",
            "%(term)s results are published (%(count)s more assessments made visible). Families are told.",
            published,
        )
        % {"term": term.name, "count": published},
    )
    return redirect("exams:term_list")


@require_POST
@administrator_required
def term_lock_view(request, pk):
    term = get_object_or_404(Term, pk=pk)
    try:
        term_lock(term=term, by=request.user)
    except TermError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(term)s is locked: only the office can change its marks and comments.") % {"term": term.name},
        )
    return redirect("exams:term_list")


@require_POST
@administrator_required
def term_unlock_view(request, pk):
    term = get_object_or_404(Term, pk=pk)
    form = UnlockForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for unlocking the term."))
        return redirect("exams:term_list")
    try:
        term_unlock(term=term, by=request.user, reason=form.cleaned_data["reason"])
    except TermError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(term)s is unlocked.") % {"term": term.name})
    return redirect("exams:term_list")


# Term comments (class teachers, homeroom teachers, the principal)


def _year_terms(request):
    year = current_year()
    terms = list(Term.objects.filter(year=year).order_by("start_date")) if year else []
    chosen = next((t for t in terms if str(t.pk) == request.GET.get("term", "")), None)
    return terms, chosen or current_term(year, timezone.localdate()) or (terms[-1] if terms else None)


@require_GET
@role_required(can_mark)
def comments_index(request):
    """What this login writes comments for: their classes, their homeroom, and (office) every section."""
    terms, term = _year_terms(request)
    year = current_year()
    office = is_administrator(request.user)
    context = {
        "terms": terms,
        "term": term,
        "offerings": list(comments.commentable_offerings(request.user).filter(section__year=year))
        if not office
        else [],
        "homerooms": list(comments.homeroom_sections(request.user).filter(year=year)) if not office else [],
        "sections": list(Section.objects.filter(year=year).select_related("grade_level")) if office else [],
        "office": office,
    }
    return render(request, "exams/comments_index.html", context)


def _comments_context(request, scope, term, forms=None):
    forms = forms or {}
    rows = comments.class_comments(scope, term)
    locked = comments.term_is_locked(term)
    return {
        "scope": scope,
        "term": term,
        "kind_label": CommentKind(scope.kind).label,
        "locked": locked,
        "can_edit": not locked or is_administrator(request.user),
        "rows": [
            (
                student,
                (forms or {}).get(student.pk)
                or CommentForm(initial={"text": text, "base": text}, prefix=f"s{student.pk}"),
            )
            for student, text in rows
        ],
    }


def _comment_form(data, prefix: str, *, base: str) -> CommentForm:
    """The posted comment form again, with `base` as what the page now shows as stored."""
    data = data.copy()
    data[f"{prefix}-base"] = base
    form = CommentForm(data, prefix=prefix)
    form.is_valid()
    return form


def _comment_conflict_form(data, prefix: str, current: str) -> CommentForm:
    """The typed comment kept, unsaved, with the other person's text shown and taken as the new base."""
    form = _comment_form(data, prefix, base=current)
    if current:
        message = _("Someone else changed this comment while you were writing. It now reads: “%(text)s”.") % {
            "text": current
        }
    else:
        message = _("Someone else removed this comment while you were writing.")
    form.add_error(
        "text", message + " " + _("Your text is kept below, not saved: save again to replace theirs.")
    )
    return form


@require_GET
@role_required(can_mark)
def comments_class(request, kind, pk, term_pk):
    scope = comments.comment_scope(request.user, kind, pk)
    term = comments.scope_term(scope, term_pk)
    return render(request, "exams/comments_class.html", _comments_context(request, scope, term))


@require_POST
@role_required(can_mark)
def comment_save(request, kind, pk, term_pk, student_pk):
    """One student's comment. htmx: the row swaps back with its result; otherwise back to the list.

    A comment someone else changed since the page was drawn is not overwritten: the row comes back (409)
    with their text shown, the typed text kept, and its base moved to their text so that saving again
    replaces it on purpose."""
    scope = comments.comment_scope(request.user, kind, pk)
    term = comments.scope_term(scope, term_pk)
    student = get_object_or_404(comments.scope_students(scope), pk=student_pk)
    prefix = f"s{student.pk}"
    form = CommentForm(request.POST, prefix=prefix)
    outcome, status = "", 200
    if form.is_valid():
        try:
            outcome = comments.comment_set(
                scope=scope,
                term=term,
                student=student,
                text=form.cleaned_data["text"],
                base=form.cleaned_data["base"],
                by=request.user,
            )
            # The row swaps back with what is stored now as its base: saving it again is not a conflict.
            form = _comment_form(request.POST, prefix, base=form.cleaned_data["text"])
        except comments.CommentError as refused:
            form.add_error("text", refused.message)
        except EditConflict as conflict:
            form = _comment_conflict_form(request.POST, prefix, conflict.current)
            status = 409
    if request.htmx:
        locked = comments.term_is_locked(term)
        context = {
            "scope": scope,
            "term": term,
            "can_edit": not locked or is_administrator(request.user),
            "student": student,
            "form": form,
            "outcome": outcome,
        }
        # 200 even when refused: htmx swaps the row back with its message, the typed text kept in it.
        return render_page(request, "exams/comments_class.html", context, partial="row", status=status)
    if not form.is_valid():
        context = _comments_context(request, scope, term, {student.pk: form})
        return render(request, "exams/comments_class.html", context, status=status if status != 200 else 400)
    if outcome == "cleared":
        messages.success(request, _("The comment for %(name)s was removed.") % {"name": student.full_name})
    elif outcome == "saved":
        messages.success(request, _("The comment for %(name)s was saved.") % {"name": student.full_name})
    return redirect("exams:comments_class", kind=kind, pk=pk, term_pk=term.pk)


# Statistics (teachers for their classes, the office for all)


@require_GET
@role_required(can_mark)
def stats_index(request):
    terms, term = _year_terms(request)
    year = current_year()
    offerings = list(stats.stats_offerings(request.user).filter(section__year=year)) if year else []
    return render(request, "exams/stats_index.html", {"offerings": offerings, "terms": terms, "term": term})


@require_GET
@role_required(can_mark)
def stats_class(request, pk, term_pk):
    """A class in a term: its assessments, its sections compared, its students below the pass mark."""
    offering = get_object_or_404(stats.stats_offerings(request.user), pk=pk)
    term = get_object_or_404(Term, pk=term_pk, year_id=offering.section.year_id)
    pass_mark, below = stats.below_pass(offering, term)
    context = {
        "offering": offering,
        "term": term,
        "assessments": list(Assessment.objects.filter(offering=offering, term=term).order_by("date", "pk")),
        "comparison": stats.section_comparison(offering, term),
        "pass_mark": pass_mark,
        "below": below,
    }
    return render(request, "exams/stats_class.html", context)


@require_GET
@role_required(can_mark)
def stats_assessment(request, pk):
    assessment = get_object_or_404(
        Assessment.objects.select_related("offering__subject", "offering__section", "term"),
        pk=pk,
        offering__in=stats.stats_offerings(request.user),
    )
    return render(
        request,
        "exams/stats_assessment.html",
        {"assessment": assessment, "stats": stats.assessment_stats(assessment)},
    )
