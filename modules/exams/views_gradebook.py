"""The teacher's gradebook: the classes list, one class's grid for a term (a live cell with HTMX, or the whole
grid as one plain form), weighted categories, and assessments (create, edit, delete, publish).

A teacher reaches only the offerings they teach (CourseOffering.objects.taught_by); the office all of them.
Everyone else signed in gets 403. Every write goes through services.py (audited).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from modules.academics.selectors import current_year
from modules.accounts import rules as account_rules
from modules.core.access import role_required
from modules.core.concurrency import EditConflict
from modules.exams import services
from modules.exams.forms import AssessmentForm, CategoryFormSet, CellForm, OfferingFilterForm, ReasonForm
from modules.exams.gradebook import (
    cell_target,
    get_assessment_for_marking,
    get_offering_for_marking,
    gradebook_load,
    is_locked,
    offerings_for,
    pick_term,
    terms_of,
)
from modules.exams.models import Assessment, AssessmentCategory, Mark
from modules.exams.rules import can_mark
from modules.exams.services import GradeError

TEMPLATE = "exams/gradebook.html"

# `b-…` is the cell's base: what it showed when the page was drawn, sent with every save so that a mark
# someone else changed meanwhile is refused rather than overwritten (modules/core/concurrency.py).
# An editable cell selects its content on focus (data-select-on-focus, portal.js): typing replaces the mark
# shown. A refused cell is data-unsaved: leaving the page asks first (data-leave-guard on the form).
CELL = (
    '<td class="gb-cell{cls}" id="c-{a}-{s}" data-saved="{saved}"{unsaved}>'
    '<input type="text" class="form-control form-control-sm gb-input{inv}" name="m-{s}-{a}" id="m-{s}-{a}" '
    'value="{value}" autocomplete="off" spellcheck="false" maxlength="20" aria-labelledby="st-{s} as-{a}" '
    'data-a="{a}" data-s="{s}"{extra}><input type="hidden" class="gb-base" name="b-{s}-{a}" value="{base}">'
    "{error}{status}</td>"
)
# The message is tied to its field (aria-describedby); gradebook.js also says it in the page's polite live
# region, so it is not an alert of its own (a column of refusals would interrupt the person at every cell).
ERROR = (
    '<div class="gb-error" id="e-{a}-{s}"><i class="bi bi-exclamation-triangle-fill" aria-hidden="true"></i> '
    "{message}{button}</div>"
)
SAVED = '<div class="gb-status gb-saved"><i class="bi bi-check2" aria-hidden="true"></i> {label}</div>'
INVALID = ' aria-invalid="true" aria-describedby="e-{a}-{s}"'
# A submit button: without JavaScript it saves the grid again (the cell's base is now the other person's
# value, so this cell is overwritten on purpose); gradebook.js saves just this cell instead.
OVERWRITE = (
    ' <button type="submit" class="btn btn-sm btn-outline-danger gb-overwrite" data-a="{a}" data-s="{s}">'
    "{label}</button>"
)


def conflict_message(current: str) -> str:
    if not current:
        return _("Someone else cleared this mark since you opened the page. Yours is not saved yet.")
    return _(
        "Someone else changed this mark to “%(current)s” since you opened the page. Yours is not saved yet."
    ) % {"current": current}


@dataclass
class Cell:
    assessment_id: int
    student_id: int
    saved: str
    value: str
    error: str = ""
    can_edit: bool = True
    base: str | None = None  # None: what is saved
    conflict: bool = False  # refused: someone else changed it (`saved` is their value, also the new base)
    just_saved: bool = False  # the answer to a live save that landed: says "Saved" in the cell

    @property
    def html(self) -> str:
        """The cell's markup, built here rather than in a template: it is the innermost loop of the page
        (1,200 cells for 40 students × 30 assessments). Every text is escaped (html.escape, quotes
        included); the ids are integers."""
        a, s = int(self.assessment_id), int(self.student_id)
        extra = INVALID.format(a=a, s=s) if self.error else ""
        extra += " data-select-on-focus" if self.can_edit else " readonly"
        button = OVERWRITE.format(a=a, s=s, label=escape(_("Save mine"))) if self.conflict else ""
        error = ERROR.format(a=a, s=s, message=escape(str(self.error)), button=button) if self.error else ""
        return mark_safe(
            CELL.format(
                cls=(" has-error has-conflict" if self.conflict else " has-error") if self.error else "",
                unsaved=" data-unsaved" if self.error else "",
                a=a,
                s=s,
                saved=escape(self.saved),
                value=escape(self.value),
                inv=" is-invalid" if self.error else "",
                extra=extra,
                base=escape(self.saved if self.base is None else self.base),
                error=error,
                status=SAVED.format(label=escape(_("Saved"))) if self.just_saved and not self.error else "",
            )
        )


def _edit_state(request, term) -> tuple[bool, bool]:
    """(can_edit, needs_reason): a locked term is read-only for teachers; the office edits with a reason."""
    if not is_locked(term):
        return True, False
    office = account_rules.is_administrator(request.user)
    return office, office


@require_GET
@role_required(can_mark)
def gradebook_list(request):
    office = account_rules.is_administrator(request.user)
    form = OfferingFilterForm(request.GET or None) if office else None
    offerings = offerings_for(request.user, office=office)
    year = current_year()
    if year is not None:
        offerings = offerings.filter(section__year=year)
    if form is not None and form.is_valid():
        data = form.cleaned_data
        if data["grade_level"]:
            offerings = offerings.filter(section__grade_level=data["grade_level"])
        if data["subject"]:
            offerings = offerings.filter(subject=data["subject"])
        if data["q"]:
            q = data["q"].strip()
            offerings = offerings.filter(
                Q(section__name__icontains=q)
                | Q(teacher__last_name__icontains=q)
                | Q(teacher__first_name__icontains=q)
            )
    context = {"office": office, "form": form, "offerings": list(offerings), "year": year}
    return render(request, "exams/gradebook_list.html", context)


@dataclass
class Kept:
    """A cell of a plain-form save that was not saved, re-shown as the person left it."""

    value: str
    base: str  # the posted base; for a conflict, the other person's value (saving again overwrites it)
    error: str = ""
    conflict: bool = False


def _rows(book, can_edit: bool, kept: dict[str, Kept] | None = None) -> list:
    """Per student: (student, cells, average). `kept`: the unsaved cells of a plain form, by field name;
    every other cell shows what is stored now."""
    kept = kept or {}
    rows = []
    for student in book.students:
        cells = []
        for assessment in book.assessments:
            mark = book.marks.get((assessment.pk, student.pk))
            saved = mark.display if mark else ""
            cell = kept.get(f"m-{student.pk}-{assessment.pk}")
            if cell is None:
                cells.append(Cell(assessment.pk, student.pk, saved, saved, can_edit=can_edit))
            else:
                cells.append(
                    Cell(
                        assessment.pk,
                        student.pk,
                        saved,
                        cell.value,
                        cell.error,
                        can_edit,
                        base=saved if cell.conflict else cell.base,
                        conflict=cell.conflict,
                    )
                )
        rows.append((student, cells, book.average_of(student.pk)))
    return rows


def _render_grid(request, offering, term, terms, *, kept=None, page_error="", reason=None, status=200):
    book = gradebook_load(offering, term)
    can_edit, needs_reason = _edit_state(request, term)
    context = {
        "offering": offering,
        "term": term,
        "terms": terms,
        "book": book,
        "rows": _rows(book, can_edit, kept),
        "can_edit": can_edit,
        "needs_reason": needs_reason,
        "locked": is_locked(term),
        "reason_form": reason or ReasonForm(),
        "page_error": page_error,
        "cell_url": reverse("exams:gradebook_cell", args=[offering.pk]),
        "save_url": reverse("exams:gradebook_save", args=[offering.pk]),
        "office": account_rules.is_administrator(request.user),
    }
    return render(request, TEMPLATE, context, status=status)


def _offering_and_term(request, pk, wanted):
    offering = get_offering_for_marking(request, pk)
    terms = terms_of(offering)
    term = pick_term(terms, wanted)
    return offering, term, terms


@require_GET
@role_required(can_mark)
def gradebook(request, pk):
    offering, term, terms = _offering_and_term(request, pk, request.GET.get("term"))
    if term is None:
        return render(request, TEMPLATE, {"offering": offering, "term": None, "terms": []})
    return _render_grid(request, offering, term, terms)


@require_POST
@role_required(can_mark)
def gradebook_cell(request, pk):
    """One cell (HTMX): answers the cell and, out-of-band, the student's average. A refusal answers the typed
    value kept and the message in the cell, marked refused (has-error, data-unsaved); a mark someone else
    changed since the page was drawn answers their value shown, the typed one kept unsaved, and a button to
    save it over theirs. Both are 200, like a Django form re-shown with its errors: the answer is the cell to
    show, and a 4xx would put an error in the browser's console on every refused mark."""
    form = CellForm(request.POST)
    if not form.is_valid():
        get_offering_for_marking(request, pk, light=True)  # another teacher's class stays a 404
        return render(request, f"{TEMPLATE}#refused", {"message": _("Say which cell to save.")})
    data = form.cleaned_data
    raw, student_id = data["value"], data["student"]
    target = cell_target(request, pk, data["assessment"], student_id)
    if not target.enrolled:
        return render(request, f"{TEMPLATE}#refused", {"message": _("That student is not in this class.")})
    assessment = target.assessment
    try:
        mark = services.mark_set(
            assessment=assessment,
            student_id=student_id,
            raw=raw,
            by=request.user,
            reason=data["reason"],
            locked=target.locked,
            base=data["base"],
            stored=target.stored,
        )
        saved = mark.display if mark else ""
        cell = Cell(assessment.pk, student_id, saved, saved, just_saved=True)
    except EditConflict as clash:
        saved = clash.current
        message = conflict_message(saved)
        cell = Cell(assessment.pk, student_id, saved, raw.strip(), message, conflict=True)
    except GradeError as refusal:
        saved = target.stored.display if target.stored else ""
        cell = Cell(assessment.pk, student_id, saved, raw.strip(), refusal.message, base=data["base"])
    context = {"cell": cell, "student": {"pk": student_id}, "average": target.average(saved)}
    return render(request, f"{TEMPLATE}#cell_response", context)


class _Refused(Exception):
    pass


@require_POST
@role_required(can_mark)
def gradebook_save(request, pk):
    """The whole grid as one form (no JavaScript). Only the cells the person changed (typed value ≠ the
    cell's base, what it showed when the page was drawn) are written. An invalid cell saves nothing. A cell
    someone else changed since the page was drawn is refused with their value shown (the others are saved);
    saving again with it re-shown overwrites it on purpose."""
    offering, term, terms = _offering_and_term(request, pk, request.POST.get("term"))
    if term is None:
        raise PermissionDenied
    reason_form = ReasonForm(request.POST)
    reason = reason_form.cleaned_data["reason"] if reason_form.is_valid() else ""
    book = gradebook_load(offering, term)
    locked = is_locked(term)
    changed: list[tuple[str, Assessment, int, str, str]] = []
    for student in book.students:
        for assessment in book.assessments:
            name = f"m-{student.pk}-{assessment.pk}"
            if name not in request.POST:
                continue
            raw = request.POST[name][:20]
            base = request.POST.get(f"b-{student.pk}-{assessment.pk}", "")[:20]
            if services.mark_text(raw) != services.mark_text(base):
                changed.append((name, assessment, student.pk, raw, base))
    kept: dict[str, Kept] = {}
    try:
        with transaction.atomic():
            for name, assessment, student_id, raw, base in changed:
                try:
                    services.mark_set(
                        assessment=assessment,
                        student_id=student_id,
                        raw=raw,
                        by=request.user,
                        reason=reason,
                        locked=locked,
                        base=base,
                    )
                except EditConflict as clash:
                    kept[name] = Kept(raw.strip(), base, conflict_message(clash.current), conflict=True)
                except GradeError as refusal:
                    kept[name] = Kept(raw.strip(), base, refusal.message)
            if any(not cell.conflict for cell in kept.values()):
                raise _Refused
    except _Refused:
        # Nothing was written: every changed cell is re-shown as typed, on its own base.
        for name, _assessment, _student_id, raw, base in changed:
            kept.setdefault(name, Kept(raw.strip(), base))
        page_error = _("Nothing was saved. Correct the marked cells and save again.")
        return _render_grid(
            request, offering, term, terms, kept=kept, page_error=page_error, reason=reason_form
        )
    saved = len(changed) - len(kept)
    if kept:
        page_error = " ".join(
            [
                ngettext("%(count)s mark saved.", "%(count)s marks saved.", saved) % {"count": saved}
                if saved
                else _("No mark was saved."),
                ngettext(
                    "%(count)s mark was not saved: someone else changed it since you opened the page. "
                    "Their value is shown next to yours; save again to replace it with yours.",
                    "%(count)s marks were not saved: someone else changed them since you opened the page. "
                    "Their values are shown next to yours; save again to replace them with yours.",
                    len(kept),
                )
                % {"count": len(kept)},
            ]
        )
        return _render_grid(
            request, offering, term, terms, kept=kept, page_error=page_error, reason=reason_form, status=409
        )
    messages.success(
        request,
        ngettext("%(count)s mark saved.", "%(count)s marks saved.", saved) % {"count": saved}
        if changed
        else _("No marks were changed."),
    )
    return redirect(f"{reverse('exams:gradebook', args=[offering.pk])}?term={term.pk}")


@require_http_methods(["GET", "POST"])
@role_required(can_mark)
def gradebook_categories(request, pk):
    offering = get_offering_for_marking(request, pk)
    queryset = AssessmentCategory.objects.filter(offering=offering)
    formset = CategoryFormSet(request.POST or None, queryset=queryset, prefix="cat")
    error = ""
    if request.method == "POST" and formset.is_valid():
        keep, delete = formset.split()
        try:
            services.categories_save(offering=offering, keep=keep, delete=delete, by=request.user)
        except GradeError as refusal:
            error = refusal.message
        else:
            messages.success(request, _("The categories are saved."))
            return redirect("exams:gradebook_categories", pk=offering.pk)
    context = {"offering": offering, "formset": formset, "error": error}
    return render(request, "exams/categories.html", context, status=422 if request.method == "POST" else 200)


def _back_to_grid(assessment) -> str:
    return f"{reverse('exams:gradebook', args=[assessment.offering_id])}?term={assessment.term_id}"


@require_http_methods(["GET", "POST"])
@role_required(can_mark)
def gradebook_assessment_create(request, pk):
    offering = get_offering_for_marking(request, pk)
    term = pick_term(terms_of(offering), request.GET.get("term"))
    form = AssessmentForm(request.POST or None, offering=offering, initial={"term": term})
    if request.method == "POST" and form.is_valid():
        assessment = form.save(commit=False)
        assessment.offering = offering
        services.assessment_save(assessment=assessment, by=request.user)
        messages.success(request, _("“%(name)s” is added.") % {"name": assessment.name})
        return redirect(_back_to_grid(assessment))
    context = {"offering": offering, "form": form, "assessment": None}
    return render(request, "exams/assessment_form.html", context)


@require_http_methods(["GET", "POST"])
@role_required(can_mark)
def gradebook_assessment_edit(request, pk):
    assessment = get_assessment_for_marking(request, pk)
    offering = get_offering_for_marking(request, assessment.offering_id)
    form = AssessmentForm(request.POST or None, instance=assessment, offering=offering)
    if request.method == "POST" and form.is_valid():
        try:
            services.assessment_save(assessment=form.save(commit=False), by=request.user)
        except GradeError as refusal:
            form.add_error("max_score", refusal.message)
        else:
            messages.success(request, _("“%(name)s” is saved.") % {"name": assessment.name})
            return redirect(_back_to_grid(assessment))
    context = {
        "offering": offering,
        "form": form,
        "assessment": assessment,
        "mark_count": Mark.objects.filter(assessment=assessment).count(),
    }
    return render(request, "exams/assessment_form.html", context)


@require_POST
@role_required(can_mark)
def gradebook_assessment_delete(request, pk):
    assessment = get_assessment_for_marking(request, pk)
    back = _back_to_grid(assessment)
    name = assessment.name
    try:
        services.assessment_delete(assessment=assessment, by=request.user)
    except GradeError as refusal:
        messages.error(request, refusal.message)
        return redirect("exams:gradebook_assessment_edit", pk=assessment.pk)
    messages.success(request, _("“%(name)s” is deleted.") % {"name": name})
    return redirect(back)


@require_POST
@role_required(can_mark)
def gradebook_assessment_publish(request, pk):
    assessment = get_assessment_for_marking(request, pk)
    if services.assessment_publish(assessment=assessment, by=request.user):
        messages.success(
            request, _("“%(name)s” is published to students and families.") % {"name": assessment.name}
        )
    else:
        messages.info(request, _("“%(name)s” was already published.") % {"name": assessment.name})
    return redirect(_back_to_grid(assessment))
