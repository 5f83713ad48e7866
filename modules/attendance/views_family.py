"""What families see of attendance (a child's calendar and term rate), and absence notes: sent by a guardian,
answered by a teacher of the child or the office."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from modules.academics.selectors import current_enrollment, current_year
from modules.accounts import rules
from modules.attendance import absence_notes, family
from modules.attendance.forms_family import AbsenceNoteForm, NoteDecisionForm
from modules.attendance.models import AbsenceNoteStatus
from modules.attendance.services import AttendanceError
from modules.core.access import role_required
from modules.core.audit import record_view_log
from modules.core.models import RecordViewKind
from modules.core.ratelimits import rate_limit_hit
from modules.people.models import Student

NOTES_SHOWN = 10


@require_GET
@login_required
def family_child(request, pk):
    """A child's month calendar (?month=YYYY-MM) and this term's attendance rate."""
    student = get_object_or_404(Student.objects.filter(pk=pk).records_visible_to(request.user))
    if rules.is_staff_member(request.user):
        record_view_log(actor=request.user, obj=student, kind=RecordViewKind.ATTENDANCE)
    today = timezone.localdate()
    first, understood = family.parse_month(request.GET.get("month"), today)
    context = {
        "student": student,
        "enrollment": current_enrollment(student, current_year()),
        "month": first,
        "month_understood": understood,
        "previous_month": family.month_shift(first, -1),
        "next_month": family.month_shift(first, 1),
        "weeks": family.month_calendar(student, first, today),
        "rate": family.term_rate(student, today),
        # Notes may carry health details: only the child's guardians, teachers and the office see them.
        "notes": list(absence_notes.notes_visible_to(request.user).filter(student=student)[:NOTES_SHOWN]),
        "can_send_note": family.guardian_children(request.user).filter(pk=student.pk).exists(),
    }
    return render(request, "attendance/family_child.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def note_create(request, pk):
    """A guardian's absence note for one of their children (reason, dates, optional document)."""
    student = get_object_or_404(family.guardian_children(request.user), pk=pk)
    form = AbsenceNoteForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if hit := rate_limit_hit(request, action="absence_note"):
            form.add_error(None, hit.message)
            context = {"form": form, "student": student}
            return render(request, "attendance/note_form.html", context, status=429)
        try:
            note = absence_notes.absence_note_create(
                student=student,
                by=request.user,
                date_from=data["date_from"],
                date_to=data["date_to"],
                reason=data["reason"],
                upload=data.get("file") or None,
            )
        except AttendanceError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("Your note was sent. You will be told when the school has answered it.")
            )
            return redirect("attendance:note_detail", pk=note.pk)
    return render(request, "attendance/note_form.html", {"form": form, "student": student})


@require_GET
@role_required(absence_notes.can_decide)
def note_list(request):
    """Notes waiting for an answer (and the latest answered) for a teacher of the children or the office."""
    notes = absence_notes.notes_decidable_by(request.user).select_related("student", "decided_by")
    context = {
        "pending": list(notes.filter(status=AbsenceNoteStatus.PENDING).order_by("created_at")),
        "answered": list(notes.exclude(status=AbsenceNoteStatus.PENDING).order_by("-decided_at")[:20]),
    }
    return render(request, "attendance/note_list.html", context)


def _decision_context(request, note, form=None) -> dict:
    can_decide = absence_notes.notes_decidable_by(request.user).filter(pk=note.pk).exists()
    pending = note.status == AbsenceNoteStatus.PENDING
    return {
        "note": note,
        "can_decide": can_decide and pending,
        "covered": list(absence_notes.absences_covered(note).select_related("register__period"))
        if can_decide and pending
        else [],
        "form": form or NoteDecisionForm(),
    }


@require_GET
@login_required
def note_detail(request, pk):
    note = get_object_or_404(
        absence_notes.notes_visible_to(request.user).select_related("student", "submitted_by", "decided_by"),
        pk=pk,
    )
    return render(request, "attendance/note_detail.html", _decision_context(request, note))


@require_POST
@login_required
def note_decide(request, pk):
    note = get_object_or_404(absence_notes.notes_decidable_by(request.user).select_related("student"), pk=pk)
    form = NoteDecisionForm(request.POST)
    if not form.is_valid():
        return render(
            request, "attendance/note_detail.html", _decision_context(request, note, form), status=400
        )
    accept = form.cleaned_data["decision"] == "accept"
    try:
        excused = absence_notes.absence_note_decide(
            note=note, by=request.user, accept=accept, decision_note=form.cleaned_data["decision_note"]
        )
    except AttendanceError as error:
        messages.error(request, error.message)
    else:
        if accept:
            messages.success(
                request,
                ngettext(
                    "The note was accepted; %(count)s absence is now excused. The family was told.",
                    "The note was accepted; %(count)s absences are now excused. The family was told.",
                    excused,
                )
                % {"count": excused},
            )
        else:
            messages.success(request, _("The note was not accepted. The family was told."))
    return redirect("attendance:note_detail", pk=note.pk)


@require_GET
@login_required
def note_file(request, pk):
    """The note's document, as a download, for the child's guardians, teachers and the office."""
    note = get_object_or_404(absence_notes.notes_visible_to(request.user).select_related("student"), pk=pk)
    if not note.file:
        raise Http404
    if rules.is_staff_member(request.user):
        record_view_log(actor=request.user, obj=note.student, kind=RecordViewKind.DOCUMENT)
    response = FileResponse(
        note.file.open("rb"),
        as_attachment=True,
        filename=note.file_name or "document",
        content_type=absence_notes.note_content_type(note),
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
