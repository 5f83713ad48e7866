"""Exam schedule pages (office editing, staff timetable, family timetable, PDFs) and offline marksheets."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from modules.academics.models import CourseOffering, Term
from modules.accounts import rules
from modules.accounts.decorators import administrator_required
from modules.core.access import role_required
from modules.core.exports import export_refusal
from modules.core.htmx import render_page
from modules.core.models import Job, SchoolProfile
from modules.core.params import query_id
from modules.core.pdf import pdf_response, render_pdf
from modules.core.spreadsheets import XLSX_CONTENT_TYPE, SpreadsheetRefused
from modules.core.uploads import validate_attachment
from modules.exams import marksheets, schedule
from modules.exams.forms_schedule import (
    ExamPeriodForm,
    ExamSlotForm,
    MarksheetConfirmForm,
    MarksheetUploadForm,
    TimetableFilterForm,
)
from modules.exams.models import ExamPeriod, ExamSlot
from modules.exams.rules import sees_exam_timetable
from modules.exams.services import GradeError, term_locked

# ---------------------------------------------------------------------------------------------- office


@require_GET
@role_required(rules.is_staff_member)
def schedule_periods(request):
    periods = schedule.periods_visible_to(request.user)
    return render(
        request,
        "exams/schedule_periods.html",
        {"periods": periods, "can_edit": rules.is_administrator(request.user)},
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def schedule_period_form(request, pk=None):
    period = get_object_or_404(ExamPeriod, pk=pk) if pk else None
    form = ExamPeriodForm(request.POST or None, instance=period)
    if request.method == "POST" and form.is_valid():
        try:
            saved = schedule.exam_period_save(period=period, by=request.user, **form.cleaned_data)
        except schedule.ScheduleError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The exam period was saved."))
            return redirect("exams:schedule_period", pk=saved.pk)
    return render(request, "exams/schedule_period_form.html", {"form": form, "period": period})


def _timetable(request, period):
    form = TimetableFilterForm(request.GET or None, period=period)
    filters = form.cleaned_data if form.is_valid() else {}
    slots = schedule.period_slots(period, **{k: v for k, v in filters.items() if v})
    return form, slots


@require_GET
@role_required(rules.is_staff_member)
def schedule_period(request, pk):
    """A period's full timetable for staff, filtered by section, room or invigilator; the office edits it."""
    period = get_object_or_404(schedule.periods_visible_to(request.user), pk=pk)
    form, slots = _timetable(request, period)
    context = {
        "period": period,
        "form": form,
        "slots": slots,
        "can_edit": rules.is_administrator(request.user),
        "query": request.GET.urlencode(),
    }
    return render_page(request, "exams/schedule_period.html", context, partial="timetable")


@require_GET
@role_required(rules.is_staff_member)
def schedule_period_pdf(request, pk):
    period = get_object_or_404(schedule.periods_visible_to(request.user), pk=pk)
    form, slots = _timetable(request, period)
    filters = [str(value) for value in (form.cleaned_data.values() if form.is_valid() else []) if value]
    content = render_pdf(
        "exams/exam_timetable_pdf.html",
        {
            "school": SchoolProfile.load(),
            "title": period.name,
            "subtitle": " · ".join(filters),
            "groups": [{"label": "", "slots": slots, "show_sections": True}],
            "printed_at": timezone.now(),
        },
        request=request,
    )
    return pdf_response(content, f"exams-{period.pk}.pdf")


@require_http_methods(["GET", "POST"])
@administrator_required
def schedule_slot_form(request, period_pk=None, pk=None):
    slot = get_object_or_404(ExamSlot.objects.select_related("period__term"), pk=pk) if pk else None
    period = (
        slot.period if slot else get_object_or_404(ExamPeriod.objects.select_related("term"), pk=period_pk)
    )
    form = ExamSlotForm(request.POST or None, instance=slot, period=period)
    if request.method == "POST" and form.is_valid():
        try:
            schedule.exam_slot_save(period=period, slot=slot, by=request.user, **form.cleaned_data)
        except schedule.ScheduleError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The exam was saved."))
            return redirect("exams:schedule_period", pk=period.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "exams/schedule_slot_form.html",
        {"form": form, "period": period, "slot": slot},
        status=status,
    )


@require_POST
@administrator_required
def schedule_slot_delete(request, pk):
    slot = get_object_or_404(ExamSlot, pk=pk)
    period_pk = slot.period_id
    schedule.exam_slot_delete(slot=slot, by=request.user)
    messages.success(request, _("The exam was deleted."))
    return redirect("exams:schedule_period", pk=period_pk)


# ---------------------------------------------------------------------------------------------- families


def _family_timetables(request):
    students = schedule.timetable_students(request.user)
    if request.GET.get("child"):
        students = [get_object_or_404(students, pk=query_id(request.GET["child"]) or 0)]
    return schedule.family_timetables(students)


@require_GET
@role_required(sees_exam_timetable)
def exam_timetable(request):
    """A student's exams, or each of a guardian's children's (published periods only)."""
    timetables = _family_timetables(request)
    return render(
        request,
        "exams/exam_timetable.html",
        {"timetables": timetables, "child": request.GET.get("child", "")},
    )


@require_GET
@role_required(sees_exam_timetable)
def exam_timetable_pdf(request):
    timetables = _family_timetables(request)
    groups = [
        {
            "label": f"{t.student.full_name} ({', '.join(s.name for s in t.sections)})",
            "slots": t.slots,
            "show_sections": False,
        }
        for t in timetables
    ]
    content = render_pdf(
        "exams/exam_timetable_pdf.html",
        {
            "school": SchoolProfile.load(),
            "title": _("Exam timetable"),
            "subtitle": "",
            "groups": groups,
            "printed_at": timezone.now(),
        },
        request=request,
    )
    return pdf_response(content, "exam-timetable.pdf")


# ---------------------------------------------------------------------------------------------- marksheets


def _marksheet_offering(request, pk) -> CourseOffering:
    """The teacher of the class or the office; everyone else is told nothing (404)."""
    offerings = CourseOffering.objects.select_related("subject", "section__year")
    if not rules.is_administrator(request.user):
        offerings = offerings.filter(teacher__user=request.user)
    return get_object_or_404(offerings, pk=pk)


def _term(request, offering) -> tuple[Term | None, list[Term]]:
    terms = list(Term.objects.filter(year=offering.section.year_id).order_by("start_date"))
    chosen = request.POST.get("term") or request.GET.get("term")
    for term in terms:
        if str(term.pk) == chosen:
            return term, terms
    today = timezone.localdate()
    current = next((t for t in terms if t.start_date <= today <= t.end_date), None)
    return current or (terms[0] if terms else None), terms


def _marksheet_job(request, offering, job_id) -> Job:
    """A marksheet reading of this user's for this class; anyone else's, or another class's, is a 404."""
    try:
        pk = uuid.UUID(str(job_id))
    except ValueError:
        raise Http404 from None
    job = Job.objects.filter(pk=pk, owner=request.user, kind=marksheets.READ_KIND).first()
    if job is None or job.payload.get("offering") != offering.pk:
        raise Http404
    return job


def _marksheet_page(request, offering, term, terms, *, job=None, form=None, status=200):
    reading_url = ""
    if job is not None:
        reading_url = reverse("exams:marksheet", kwargs={"pk": offering.pk})
        reading_url += f"?term={job.payload.get('term')}&reading={job.pk}"
    can_confirm = job is not None and marksheets.marksheet_can_confirm(job)
    context = {
        "offering": offering,
        "term": term,
        "terms": terms,
        "locked": term_locked(term.pk) if term else False,
        "is_office": rules.is_administrator(request.user),
        "upload_form": form or MarksheetUploadForm(),
        "job": job,
        "reading_url": reading_url,
        "reading_pending": job is not None and not job.is_finished,
        "reading": marksheets.marksheet_reading(job) if job is not None else None,
        "applied": job is not None and bool((job.result or {}).get("applied")),
        "confirm_form": MarksheetConfirmForm(initial={"token": job.pk}) if can_confirm else None,
    }
    partial = "preview" if job else None
    return render_page(request, "exams/marksheet.html", context, partial=partial, status=status)


@require_GET
@login_required
def marksheet(request, pk):
    """The marksheet page; with `reading`, the state of an upload: being read (polled), or its preview."""
    offering = _marksheet_offering(request, pk)
    term, terms = _term(request, offering)
    job = None
    if request.GET.get("reading"):
        job = _marksheet_job(request, offering, request.GET["reading"])
        term = next((t for t in terms if t.pk == job.payload.get("term")), None) or term
    return _marksheet_page(request, offering, term, terms, job=job)


@require_GET
@login_required
def marksheet_export(request, pk):
    offering = _marksheet_offering(request, pk)
    term, _terms = _term(request, offering)
    if term is None:
        messages.error(request, _("This class's year has no terms yet."))
        return redirect("exams:marksheet", pk=offering.pk)
    # A class's names and marks in one file: a bulk export like the office's (recent re-auth, rate limit).
    if refusal := export_refusal(request):
        return refusal
    content = marksheets.marksheet_export(offering=offering, term=term, by=request.user)
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    name = f"marksheet-{offering.subject.name}-{offering.section.name}-{term.name}.xlsx"
    ascii_name = name.encode("ascii", "ignore").decode().replace('"', "").replace(" ", "-")
    response.headers["Content-Disposition"] = f'attachment; filename="{ascii_name}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@login_required
def marksheet_preview(request, pk):
    """Check an uploaded marksheet cheaply and queue its reading; the page then polls the reading.

    The file is parsed on the queue, never here: only the bounded checks (size, signature, zip directory)
    run in the request. The reading (every change and every error) is kept in the job, not the session."""
    offering = _marksheet_offering(request, pk)
    term, terms = _term(request, offering)
    form = MarksheetUploadForm(request.POST, request.FILES)
    if term is None or not form.is_valid():
        return _marksheet_page(request, offering, term, terms, form=form, status=400)
    upload = form.cleaned_data["file"]
    try:
        if not upload.name.lower().endswith(".xlsx"):
            raise ValidationError(_("Upload the .xlsx file downloaded from this page."))
        validate_attachment(upload, max_bytes=marksheets.MAX_UPLOAD_BYTES)
        upload.seek(0)
        job = marksheets.marksheet_job_create(
            owner=request.user, offering=offering, term=term, content=upload.read()
        )
    except ValidationError as error:
        form.add_error("file", error)
        return _marksheet_page(request, offering, term, terms, form=form, status=400)
    except SpreadsheetRefused as error:
        form.add_error("file", error.message)
        return _marksheet_page(request, offering, term, terms, form=form, status=400)
    back = reverse("exams:marksheet", kwargs={"pk": offering.pk})
    return redirect(f"{back}?term={term.pk}&reading={job.pk}")


@require_POST
@login_required
def marksheet_confirm(request, pk):
    offering = _marksheet_offering(request, pk)
    form = MarksheetConfirmForm(request.POST)
    back = reverse("exams:marksheet", kwargs={"pk": offering.pk})
    nothing = _("There is nothing to save: these marks were saved already, or the preview expired.")
    if not form.is_valid():
        messages.info(request, nothing)
        return redirect(back)
    job = _marksheet_job(request, offering, form.cleaned_data["token"])
    term = get_object_or_404(Term, pk=job.payload.get("term"))
    if not marksheets.marksheet_can_confirm(job):
        messages.info(request, nothing)
        return redirect(f"{back}?term={term.pk}")
    reason = form.cleaned_data["reason"]
    if term_locked(term.pk) and not reason.strip():
        # Back to the preview so the office can give the reason and confirm again.
        messages.error(request, _("The term is locked: give a reason for the change."))
        return redirect(f"{back}?term={term.pk}&reading={job.pk}")
    try:
        count = marksheets.marksheet_confirm(
            job=job, offering=offering, term=term, by=request.user, reason=reason
        )
    except marksheets.MarksheetAlreadyApplied:
        messages.info(request, nothing)
    except GradeError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            ngettext("%(count)s mark was saved.", "%(count)s marks were saved.", count) % {"count": count},
        )
    return redirect(f"{back}?term={term.pk}")
