"""The teacher's homework pages: their classes' assignments with counts handed in and to mark, setting one
for one or more classes (or copying one), its page, editing, publishing, deleting, the calendar load while
choosing a due date (an htmx fragment of the form), and the download of an attached file (for everyone who
can see the assignment).

A teacher reaches only the assignments of the classes they teach (`Assignment.objects.taught_by`): another
teacher's is a 404. Everyone else signed in gets 403 on the setting pages. Writes go through setting.py.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from modules.academics.selectors import current_year
from modules.accounts.rules import is_teacher
from modules.assignments import setting
from modules.assignments.forms_teacher import AssignmentForm, DeleteForm, copy_initial
from modules.assignments.models import Assignment, AssignmentFile
from modules.core.access import role_required
from modules.core.htmx import render_page
from modules.core.params import query_id
from modules.exams.models import AssessmentCategory

FORM = "assignments/teacher_form.html"


def get_assignment_for_teacher(request, pk: int) -> Assignment:
    """One of the teacher's own classes' assignments, or 404."""
    return get_object_or_404(
        Assignment.objects.taught_by(request.user).select_related(
            "offering__subject",
            "offering__section__year",
            "offering__section__grade_level",
            "assessment__category",
            "term",
        ),
        pk=pk,
    )


def _year_offerings(request):
    year = current_year()
    return year, list(setting.teacher_offerings(request.user, year_id=year.pk if year else None))


@require_GET
@role_required(is_teacher)
def teacher_list(request):
    year, offerings = _year_offerings(request)
    by_offering: dict[int, list[Assignment]] = {offering.pk: [] for offering in offerings}
    rows = setting.assignments_with_counts(
        Assignment.objects.filter(offering_id__in=list(by_offering))
    ).order_by("-due_at", "-pk")
    for assignment in rows:
        by_offering[assignment.offering_id].append(assignment)
    context = {
        "year": year,
        "classes": [(offering, by_offering[offering.pk]) for offering in offerings],
        "now": timezone.now(),
    }
    return render(request, "assignments/teacher_list.html", context)


def _source_for_copy(request) -> Assignment | None:
    pk = query_id(request.GET.get("from"))
    if pk is None:
        return None
    return get_assignment_for_teacher(request, pk)


def _form_context(request, form: AssignmentForm, *, assignment=None, source=None, offerings=()) -> dict:
    chosen = [assignment.offering] if assignment is not None else _chosen_offerings(form, offerings)
    due = _form_due(form)
    load_day, loads = (
        setting.calendar_load(offerings=chosen, due_at=due, exclude=assignment)
        if due and chosen
        else (None, [])
    )
    return {
        "form": form,
        "assignment": assignment,
        "source": source,
        "load_day": load_day,
        "loads": loads,
        "has_classes": bool(offerings) or assignment is not None,
        "time_zone": settings.TIME_ZONE,
    }


def _load(offerings, due, exclude):
    if not due or not offerings:
        return None, []
    return setting.calendar_load(offerings=offerings, due_at=due, exclude=exclude)


def _chosen_offerings(form: AssignmentForm, offerings) -> list:
    if form.is_bound:
        raw = set(form.data.getlist("offerings")) if hasattr(form.data, "getlist") else set()
    else:
        raw = {str(pk) for pk in form.initial.get("offerings") or []}
    return [offering for offering in offerings if str(offering.pk) in raw]


def _form_due(form: AssignmentForm):
    if form.is_bound:
        return getattr(form, "cleaned_data", {}).get("due_at")
    return form.initial.get("due_at")


def _save_refused(form: AssignmentForm, refusal: setting.SettingError) -> None:
    form.add_error(form.error_field(refusal.field), refusal.message)


def _created_message(request, created: list[Assignment]) -> None:
    first = created[0]
    names = ", ".join(str(a.offering) for a in created)
    if first.published_at is not None:
        text = ngettext(
            "“%(title)s” is set for %(classes)s and published.",
            "“%(title)s” is set for %(classes)s and published.",
            len(created),
        )
    elif first.publish_at is not None:
        text = _("“%(title)s” is set for %(classes)s and will be published on %(when)s.")
    else:
        text = _("“%(title)s” is saved as a draft for %(classes)s: students do not see it yet.")
    when = (
        formats.date_format(timezone.localtime(first.publish_at), "DATETIME_FORMAT")
        if first.publish_at
        else ""
    )
    messages.success(request, text % {"title": first.title, "classes": names, "when": when})


@require_http_methods(["GET", "POST"])
@role_required(is_teacher)
def teacher_create(request):
    year, offerings = _year_offerings(request)
    source = _source_for_copy(request)
    initial: dict = {}
    if source is not None:
        initial = copy_initial(source, year_start=year.start_date if year else None)
    wanted = query_id(request.GET.get("offering"))
    if wanted is not None and any(o.pk == wanted for o in offerings):
        initial["offerings"] = [wanted]
    categories = list(AssessmentCategory.objects.filter(offering__in=[o.pk for o in offerings]))
    form = AssignmentForm(
        request.POST or None,
        request.FILES or None,
        offerings=offerings,
        categories=categories,
        source=source,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        fields = form.assignment_fields()
        assert fields is not None  # a valid form has its dates
        try:
            created = setting.assignments_create(
                offerings=form.chosen_offerings(),
                fields=fields,
                categories=form.chosen_categories(),
                by=request.user,
                files=form.new_files,
                source=source,
                keep_files=list(form.cleaned_data.get("keep_files") or []),
            )
        except setting.SettingError as refusal:
            _save_refused(form, refusal)
        else:
            _created_message(request, created)
            if len(created) == 1:
                return redirect("assignments:teacher_detail", pk=created[0].pk)
            return redirect("assignments:teacher_list")
    context = _form_context(request, form, source=source, offerings=offerings)
    return render(request, FORM, context, status=422 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@role_required(is_teacher)
def teacher_edit(request, pk):
    assignment = get_assignment_for_teacher(request, pk)
    categories = list(AssessmentCategory.objects.filter(offering_id=assignment.offering_id))
    form = AssignmentForm(
        request.POST or None,
        request.FILES or None,
        instance=assignment,
        offerings=[assignment.offering],
        categories=categories,
    )
    if request.method == "POST" and form.is_valid():
        fields = form.assignment_fields()
        assert fields is not None
        try:
            setting.assignment_update(
                assignment=assignment,
                fields=fields,
                category=form.chosen_categories().get(assignment.offering_id),
                by=request.user,
                files=form.new_files,
                remove_files=list(form.cleaned_data.get("remove_files") or []),
            )
        except setting.SettingError as refusal:
            _save_refused(form, refusal)
        else:
            messages.success(request, _("“%(title)s” is saved.") % {"title": fields.title})
            return redirect("assignments:teacher_detail", pk=assignment.pk)
    context = _form_context(request, form, assignment=assignment)
    return render(request, FORM, context, status=422 if request.method == "POST" else 200)


@require_GET
@role_required(is_teacher)
def teacher_calendar_load(request):
    """The calendar-load fragment of the form: other homework due on the chosen day and its week, for the
    classes ticked (only the teacher's own count) or the assignment being edited."""
    assignment = None
    if (pk := query_id(request.GET.get("assignment"))) is not None:
        assignment = get_assignment_for_teacher(request, pk)
        offerings = [assignment.offering]
    else:
        year, mine = _year_offerings(request)
        wanted = {query_id(value) for value in request.GET.getlist("offerings")}
        offerings = [offering for offering in mine if offering.pk in wanted]
    try:
        due = forms.DateTimeField(required=False).clean(request.GET.get("due_at", "")[:40])
    except forms.ValidationError:
        due = None
    load_day, loads = (
        setting.calendar_load(offerings=offerings, due_at=due, exclude=assignment)
        if due and offerings
        else (None, [])
    )
    context = {"load_day": load_day, "loads": loads}
    response = render(request, f"{FORM}#load", context)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@require_GET
@role_required(is_teacher)
def teacher_detail(request, pk):
    assignment = get_assignment_for_teacher(request, pk)
    counted = setting.assignments_with_counts(Assignment.objects.filter(pk=assignment.pk)).get()
    students = (
        setting.teacher_offerings(request.user, year_id=None)
        .filter(pk=assignment.offering_id)
        .values_list("students", flat=True)
        .first()
    )
    # The same homework set for the teacher's other classes, or copied to or from them (its lineage).
    related = (
        Assignment.objects.taught_by(request.user)
        .filter(lineage=assignment.lineage)
        .exclude(pk=assignment.pk)
        .select_related("offering__subject", "offering__section__year")
        .order_by("-offering__section__year__start_date", "due_at")
    )
    context = {
        "assignment": counted,
        "related": list(related),
        "files": list(assignment.files.all()),
        "students": students or 0,
        "now": timezone.now(),
    }
    return render(request, "assignments/teacher_detail.html", context)


@require_POST
@role_required(is_teacher)
def teacher_publish(request, pk):
    assignment = get_assignment_for_teacher(request, pk)
    if setting.assignment_publish(assignment=assignment, by=request.user):
        messages.success(request, _("“%(title)s” is published to the class.") % {"title": assignment.title})
    else:
        messages.info(request, _("“%(title)s” was already published.") % {"title": assignment.title})
    return redirect("assignments:teacher_detail", pk=assignment.pk)


@require_http_methods(["GET", "POST"])
@role_required(is_teacher)
def teacher_delete(request, pk):
    assignment = get_assignment_for_teacher(request, pk)
    impact = setting.delete_impact(assignment)
    form = DeleteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            setting.assignment_delete(
                assignment=assignment, by=request.user, keep_marks=form.cleaned_data["keep_marks"]
            )
        except setting.SettingError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("“%(title)s” is deleted.") % {"title": assignment.title})
            return redirect("assignments:teacher_list")
    context = {"assignment": assignment, "impact": impact, "form": form}
    status = 422 if form.errors else 200
    return render(request, "assignments/teacher_delete.html", context, status=status)


@require_GET
@role_required(is_teacher)
def teacher_copy_pick(request):
    """The teacher's assignments of every year, newest first, to copy one to a class of this year."""
    year = current_year()
    rows = (
        Assignment.objects.taught_by(request.user)
        .select_related("offering__subject", "offering__section__year")
        .order_by("-offering__section__year__start_date", "-due_at", "-pk")
    )
    query = (request.GET.get("q") or "").strip()[:100]
    if query:
        rows = rows.filter(title__icontains=query)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {"page_obj": page, "year": year, "q": query}
    return render_page(request, "assignments/teacher_copy.html", context, partial="results")


@require_GET
@login_required
def attachment(request, pk):
    """A file the teacher attached, for everyone who can see its assignment; always as a download."""
    item = get_object_or_404(
        AssignmentFile.objects.filter(
            assignment__in=Assignment.objects.visible_to(request.user).values("pk")
        ),
        pk=pk,
    )
    response = FileResponse(
        item.file.open("rb"), as_attachment=True, filename=item.name, content_type=item.content_type
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
