"""The teacher's inbox for one assignment: every student of the class with where their work stands; one
student's work beside the marking form (keyboard: save and go to the next student); returning marks one by
one or all at once; one student's due date; paper work received; every hand-in as one zip. The hand-in and
feedback files are served by views_family.py, to everyone who may see them.

A teacher reaches only their classes' assignments (Assignment.objects.taught_by), the office all of them;
another teacher's assignment, or a student not in the class, is a 404. Students, guardians and the bursar
are refused (403). Every write goes through marking.py (audited).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from modules.assignments import marking
from modules.assignments.forms_inbox import ExtensionForm, MarkForm, ReceivedForm
from modules.assignments.inbox import (
    get_assignment_for_marking,
    get_student_in_class,
    inbox_load,
    marking_load,
)
from modules.assignments.marking import MarkConflict, MarkingError, marking_base, score_text
from modules.assignments.models import HandIn
from modules.assignments.zipping import zip_filename, zip_members, zip_stream
from modules.core.access import role_required
from modules.core.audit import audit_log
from modules.core.htmx import render_page
from modules.exams.rules import can_mark

INBOX = "assignments/inbox.html"
MARK = "assignments/inbox_mark.html"


def _inbox_url(assignment) -> str:
    return reverse("assignments:inbox", args=[assignment.pk])


def _mark_url(assignment, student_pk: int) -> str:
    return reverse("assignments:inbox_mark", args=[assignment.pk, student_pk])


def _file_url(file_pk: int) -> str | None:
    """The hand-in file's download (served by the family and hand-in pages' view)."""
    try:
        return reverse("assignments:submission_file", args=[file_pk])
    except NoReverseMatch:
        return None


@require_GET
@role_required(can_mark)
def inbox(request, pk):
    assignment = get_assignment_for_marking(request, pk)
    context = {
        "assignment": assignment,
        "inbox": inbox_load(assignment),
        "is_paper": assignment.hand_in == HandIn.PAPER,
    }
    return render_page(request, INBOX, context, partial="table")


def _mark_form(assignment, view) -> MarkForm:
    base = marking_base(view.submission, view.mark)
    submission = view.submission
    initial = {
        "score": score_text(submission.raw_score) if submission else "",
        "feedback": submission.feedback if submission else "",
        "base_score": base.score,
        "base_feedback": base.feedback,
        "base_mark": base.mark,
    }
    return MarkForm(initial=initial, assignment=assignment)


def _render_mark(request, assignment, view, *, form=None, extension=None, received=None, status=200):
    submission = view.submission
    context = {
        "assignment": assignment,
        "view": view,
        "student": view.student,
        "submission": submission,
        "files": [(file, _file_url(file.pk)) for file in view.files],
        "form": form or _mark_form(assignment, view),
        "extension_form": extension
        or ExtensionForm(initial={"due_at": submission.extended_due_at if submission else None}),
        "received_form": received or ReceivedForm(),
        "is_paper": assignment.hand_in == HandIn.PAPER,
        "can_return": view.marked and not view.returned,
    }
    return render_page(request, MARK, context, status=status)


def _conflict_form(request, assignment, view, clash: MarkConflict) -> MarkForm:
    """The typed values kept, the other person's shown on each field they changed, and the base moved to
    what is stored now: saving again writes the typed values on purpose."""
    base = marking_base(view.submission, view.mark)
    data = request.POST.copy()
    data["base_score"], data["base_feedback"], data["base_mark"] = base.score, base.feedback, base.mark
    form = MarkForm(data, assignment=assignment)
    form.is_valid()
    for name, current in clash.current.items():
        shown = current.strip() or _("(empty)")
        if name == "feedback":
            message = _(
                "Someone else changed the feedback since you opened the page (it now begins “%(value)s”). "
                "Yours is kept here, not saved: save again to use it."
            ) % {"value": shown[:80]}
        elif name == "mark":
            message = _(
                "Someone changed this mark in the gradebook to “%(value)s” since you opened the page. Your "
                "score is kept here, not saved: save again to use it."
            ) % {"value": shown}
        else:
            message = _(
                "Someone else changed the score to “%(value)s” since you opened the page. Yours is kept "
                "here, not saved: save again to use it."
            ) % {"value": shown}
        form.add_error("feedback" if name == "feedback" or "score" not in form.fields else "score", message)
    return form


@require_http_methods(["GET", "POST"])
@role_required(can_mark)
def inbox_mark(request, pk, student):
    """One student's work beside the marking form. "Save and next" (Ctrl+Enter) opens the next student."""
    assignment = get_assignment_for_marking(request, pk)
    view = marking_load(assignment, student)
    if request.method == "GET":
        return _render_mark(request, assignment, view)
    form = MarkForm(request.POST, request.FILES, assignment=assignment)
    if not form.is_valid():
        return _render_mark(request, assignment, view, form=form, status=422)
    data = form.cleaned_data
    try:
        result = marking.submission_mark(
            assignment=assignment,
            student=view.student,
            score=data.get("score"),
            feedback=data["feedback"],
            feedback_file=data["feedback_file"] or None,
            remove_feedback_file=data["remove_feedback_file"],
            base=form.base(),
            by=request.user,
        )
    except MarkConflict as clash:
        view = marking_load(assignment, student)
        form = _conflict_form(request, assignment, view, clash)
        return _render_mark(request, assignment, view, form=form, status=409)
    except MarkingError as refusal:
        form.add_error(None, refusal.message)
        return _render_mark(request, assignment, view, form=form, status=422)
    name = view.student.first_name
    if not result.changed:
        messages.info(request, _("Nothing changed for %(name)s.") % {"name": name})
    elif "mark" in result.changed:
        messages.success(request, _("Saved for %(name)s; the gradebook's mark follows.") % {"name": name})
    else:
        messages.success(request, _("Saved for %(name)s.") % {"name": name})
    if "next" in request.POST and view.next is not None:
        return redirect(_mark_url(assignment, view.next.pk))
    return redirect(_mark_url(assignment, view.student.pk))


@require_POST
@role_required(can_mark)
def inbox_return(request, pk):
    """Return every marked hand-in not yet returned."""
    assignment = get_assignment_for_marking(request, pk)
    try:
        count = marking.submissions_return(assignment=assignment, by=request.user)
    except MarkingError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            ngettext(
                "%(count)s piece of work returned; the student and their guardians are told.",
                "%(count)s pieces of work returned; the students and their guardians are told.",
                count,
            )
            % {"count": count},
        )
    return redirect(_inbox_url(assignment))


@require_POST
@role_required(can_mark)
def inbox_return_one(request, pk, student):
    assignment = get_assignment_for_marking(request, pk)
    pupil = get_student_in_class(assignment, student)
    try:
        marking.submissions_return(assignment=assignment, by=request.user, student_ids=[pupil.pk])
    except MarkingError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _("Returned to %(name)s; they and their guardians are told.") % {"name": pupil.first_name},
        )
    return redirect(_mark_url(assignment, pupil.pk))


@require_POST
@role_required(can_mark)
def inbox_extend(request, pk, student):
    """This student's own due time (an extension), or back to the class's."""
    assignment = get_assignment_for_marking(request, pk)
    view = marking_load(assignment, student)
    form = ExtensionForm(request.POST)
    if form.is_valid():
        due_at = form.cleaned_data["due_at"]
        try:
            marking.submission_extend(
                assignment=assignment, student=view.student, due_at=due_at, by=request.user
            )
        except MarkingError as refusal:
            form.add_error("due_at", refusal.message)
        else:
            messages.success(
                request,
                _("%(name)s has until the new due time.") % {"name": view.student.first_name}
                if due_at
                else _("%(name)s is due with the class again.") % {"name": view.student.first_name},
            )
            return redirect(_mark_url(assignment, view.student.pk))
    return _render_mark(request, assignment, view, extension=form, status=422)


@require_POST
@role_required(can_mark)
def inbox_received(request, pk, student):
    """Paper work recorded as received (at a date and time, or just now from the inbox's row), or as not
    received after all."""
    assignment = get_assignment_for_marking(request, pk)
    view = marking_load(assignment, student)
    form = ReceivedForm(request.POST)
    if form.is_valid():
        received_at = form.moment()
        try:
            marking.submission_receive_paper(
                assignment=assignment, student=view.student, received_at=received_at, by=request.user
            )
        except MarkingError as refusal:
            form.add_error("received_at", refusal.message)
        else:
            name = view.student.first_name
            messages.success(
                request,
                _("%(name)s's work is recorded as received.") % {"name": name}
                if received_at
                else _("%(name)s's work is no longer recorded as received.") % {"name": name},
            )
            if request.POST.get("back") == "inbox":
                return redirect(f"{_inbox_url(assignment)}#row-{view.student.pk}")
            return redirect(_mark_url(assignment, view.student.pk))
    return _render_mark(request, assignment, view, received=form, status=422)


@require_GET
@role_required(can_mark)
def inbox_zip(request, pk):
    """Every hand-in as one zip, a folder per student, streamed as it is written."""
    assignment = get_assignment_for_marking(request, pk)
    members = zip_members(assignment)
    if not members:
        messages.info(request, _("Nothing has been handed in yet: there is nothing to download."))
        return redirect(_inbox_url(assignment))
    audit_log(actor=request.user, action="assignment.download", obj=assignment, after={"files": len(members)})
    response = StreamingHttpResponse(zip_stream(members), content_type="application/zip")
    response.headers["Content-Disposition"] = content_disposition_header(True, zip_filename(assignment))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
