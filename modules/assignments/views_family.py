"""Homework for families: a student's list and week, an assignment with its hand-in form and receipt, the
feedback and mark once returned; a guardian's view of each child's homework; the hand-in files and feedback
files as downloads for everyone who may see them.

Scoping: assignments through `Assignment.objects.visible_to` (published, the student's classes), the
student's own work through their profile, a guardian's children through their links; anything else is 404.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from modules.academics.selectors import current_year
from modules.accounts.models import Role
from modules.accounts.rules import is_guardian, is_staff_member, is_student
from modules.assignments import selectors_family, states, submissions
from modules.assignments.forms_family import HandInForm
from modules.assignments.models import Assignment, HomeworkPolicy, Submission, SubmissionFile
from modules.core.access import role_required
from modules.core.audit import record_view_log
from modules.core.htmx import render_page
from modules.core.models import RecordViewKind
from modules.core.ratelimits import rate_limit_hit
from modules.exams.models import Mark
from modules.people.models import Student

# Hand-ins write files to the school's disk: a loop (or a stuck button) may not fill it. Far above what a
# student replacing their work ever does.
HAND_IN_RATE = "10/m,100/h"


def _own_student(request) -> Student:
    return request.user.student_profile


def get_assignment_for_student(request, pk) -> Assignment:
    """A published assignment of the signed-in student's classes, or 404."""
    student = _own_student(request)
    return get_object_or_404(
        Assignment.objects.filter(pk=pk, offering__section__enrollments__student=student)
        .visible_to(request.user)
        .select_related("offering__subject", "offering__teacher", "assessment")
        .distinct()
    )


def get_child_for_guardian(request, pk) -> Student:
    return get_object_or_404(
        Student.objects.filter(guardian_links__guardian__user=request.user).distinct(), pk=pk
    )


def get_assignment_for_child(request, child: Student, pk) -> Assignment:
    return get_object_or_404(
        Assignment.objects.filter(pk=pk, offering__section__enrollments__student=child)
        .visible_to(request.user)
        .select_related("offering__subject", "offering__teacher", "assessment")
        .distinct()
    )


# The student's pages ---------------------------------------------------------------------------------------


@require_GET
@role_required(is_student)
def student_list(request):
    """Everything set for the student this year: overdue, due soon, later, handed in, marked."""
    now = timezone.now()
    student = _own_student(request)
    rows = selectors_family.homework_by_student(
        user=request.user, students=[student], year=current_year(), now=now
    )
    context = {
        "student": student,
        "groups": selectors_family.homework_groups(rows[student.pk], now),
        "now": now,
    }
    return render_page(request, "assignments/family_list.html", context)


@require_GET
@role_required(is_student)
def student_week(request):
    """The week (?week=YYYY-MM-DD, any day of it) with what is due each day; htmx swaps the week only."""
    student = _own_student(request)
    context = _week_context(request, student, reverse("assignments:student_week"))
    return render_page(request, "assignments/family_week.html", context, partial="week")


def _week_context(request, student: Student, url: str) -> dict:
    now = timezone.now()
    today = timezone.localdate(now)
    monday, understood = selectors_family.week_start(request.GET.get("week"), today)
    start, end = selectors_family.week_bounds(monday)
    rows = selectors_family.homework_by_student(
        user=request.user, students=[student], year=current_year(), now=now, due_from=start, due_before=end
    )[student.pk]
    return {
        "student": student,
        "monday": monday,
        "sunday": monday + datetime.timedelta(days=6),
        "previous_week": monday - datetime.timedelta(days=7),
        "next_week": monday + datetime.timedelta(days=7),
        "this_week": today - datetime.timedelta(days=today.weekday()),
        "week_understood": understood,
        "days": selectors_family.week_days(rows, monday, today),
        "week_url": url,
    }


@require_GET
@role_required(is_student)
def student_assignment(request, pk):
    assignment = get_assignment_for_student(request, pk)
    return _assignment_page(request, assignment, _own_student(request))


@require_POST
@role_required(is_student)
def hand_in(request, pk):
    """Hand in or replace: success goes back to the page with the receipt; a refusal shows the page again
    with the message and what was typed."""
    assignment = get_assignment_for_student(request, pk)
    student = _own_student(request)
    submission = Submission.objects.filter(assignment=assignment, student=student).first()
    policy = HomeworkPolicy.current()
    form = HandInForm(
        request.POST,
        request.FILES,
        assignment=assignment,
        current_files=submissions.current_files(submission),
        policy=policy,
    )
    if not form.is_valid():
        return _assignment_page(request, assignment, student, form=form, status=400)
    if hit := rate_limit_hit(request, action="homework_hand_in", rate=HAND_IN_RATE):
        form.add_error(None, hit.message)
        return _assignment_page(request, assignment, student, form=form, status=429)
    try:
        submissions.submission_hand_in(
            assignment=assignment,
            student=student,
            by=request.user,
            base_version=form.cleaned_data["base_version"],
            text=form.cleaned_data.get("text", ""),
            uploads=form.uploads(),
            keep_file_ids=form.keep_ids(),
        )
    except ValidationError as error:
        form.add_error("files" if "files" in form.fields else None, error)
        return _assignment_page(request, assignment, student, form=form, status=400)
    except submissions.HandInRefused as refusal:
        if refusal.conflict:
            # The page is drawn again from the hand-in as it is now, with what was typed in the form: handing
            # in from here replaces the stored one on purpose, having seen it.
            return _assignment_page(
                request,
                assignment,
                student,
                typed=form.cleaned_data.get("text", ""),
                error=refusal.message,
                status=409,
            )
        form.add_error(None, refusal.message)
        return _assignment_page(request, assignment, student, form=form, status=400)
    messages.success(request, _("Handed in. Your receipt is below."))
    return redirect(reverse("assignments:student_assignment", args=[assignment.pk]) + "#receipt")


def _assignment_page(
    request, assignment, student, *, form=None, typed=None, error="", status=200, guardian_view=False
):
    now = timezone.now()
    submission = (
        Submission.objects.filter(assignment=assignment, student=student).select_related("marked_by").first()
    )
    if submission is not None:
        submission.assignment = assignment
    files = submissions.current_files(submission)
    earlier = submissions.earlier_files(submission)
    state = states.work_state(assignment, submission, now)
    returned = submission is not None and submission.returned_at is not None
    mark = None
    if returned and assignment.assessment_id:
        mark = Mark.objects.filter(assessment_id=assignment.assessment_id, student=student).first()
    can_hand_in = not guardian_view and states.can_hand_in(assignment, submission, now)
    if can_hand_in and form is None:
        form = HandInForm(
            initial={
                "base_version": submission.version if submission else 0,
                "text": typed if typed is not None else (submission.text if submission else ""),
            },
            assignment=assignment,
            current_files=files,
            policy=HomeworkPolicy.current(),
        )
    elif form is not None and not can_hand_in:
        # Refused because the time ran out while the form was open: keep the message and what was typed.
        can_hand_in = True
    context = {
        "assignment": assignment,
        "student": student,
        "submission": submission,
        "files": files,
        "earlier": earlier,
        "state": state,
        "returned": returned,
        "mark": mark,
        "penalty": submission.penalty_percent if returned and submission.penalty_percent else None,
        "can_hand_in": can_hand_in,
        "refusal": ""
        if can_hand_in or guardian_view
        else submissions.refusal_reason(assignment, submission, now),
        "form": form,
        "error": error,
        "due_at": submission.due_at if submission is not None else assignment.due_at,
        "attachments": list(assignment.files.all()),
        "guardian_view": guardian_view,
        "now": now,
    }
    return render_page(request, "assignments/family_assignment.html", context, status=status)


# The guardian's pages --------------------------------------------------------------------------------------


@require_GET
@role_required(is_guardian)
def children(request):
    """Each child's homework at a glance: what is overdue, due soon, handed in and marked, with links."""
    now = timezone.now()
    year = current_year()
    kids = list(
        Student.objects.filter(guardian_links__guardian__user=request.user)
        .distinct()
        .order_by("date_of_birth", "first_name")
    )
    rows = selectors_family.homework_by_student(user=request.user, students=kids, year=year, now=now)
    cards = [
        {
            "child": kid,
            "groups": selectors_family.homework_groups(rows[kid.pk], now),
            "counts": selectors_family.state_counts(rows[kid.pk]),
        }
        for kid in kids
    ]
    return render_page(request, "assignments/family_children.html", {"cards": cards, "now": now})


@require_GET
@role_required(is_guardian)
def child_list(request, pk):
    """One child's homework this year with its state and, once returned, the mark."""
    child = get_child_for_guardian(request, pk)
    now = timezone.now()
    rows = selectors_family.homework_by_student(
        user=request.user, students=[child], year=current_year(), now=now
    )
    context = {
        "child": child,
        "groups": selectors_family.homework_groups(rows[child.pk], now),
        "counts": selectors_family.state_counts(rows[child.pk]),
        "now": now,
    }
    return render_page(request, "assignments/family_child.html", context)


@require_GET
@role_required(is_guardian)
def child_assignment(request, pk, assignment_pk):
    child = get_child_for_guardian(request, pk)
    assignment = get_assignment_for_child(request, child, assignment_pk)
    return _assignment_page(request, assignment, child, guardian_view=True)


# Downloads ------------------------------------------------------------------------------------------------


def _attachment(opened, *, filename: str, content_type: str) -> FileResponse:
    response = FileResponse(opened, as_attachment=True, filename=filename, content_type=content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_GET
@login_required
def submission_file(request, pk):
    """A file of a hand-in (any version): the student, their guardians, the class's teacher, the office."""
    row = get_object_or_404(
        SubmissionFile.objects.filter(
            submission__in=Submission.objects.visible_to(request.user)
        ).select_related("submission__student"),
        pk=pk,
    )
    if is_staff_member(request.user):
        record_view_log(actor=request.user, obj=row.submission.student, kind=RecordViewKind.DOCUMENT)
    try:
        opened = row.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return _attachment(opened, filename=row.name, content_type=row.content_type or "application/octet-stream")


@require_GET
@login_required
def feedback_file(request, pk):
    """The teacher's feedback file on a hand-in: the class's teacher and the office at any time; the student
    and their guardians once the work is returned."""
    submission = get_object_or_404(
        Submission.objects.visible_to(request.user).select_related(
            "student", "assignment__offering__teacher"
        ),
        pk=pk,
    )
    staff_may = is_staff_member(request.user) and (
        Role.ADMINISTRATOR in request.user.roles
        or Submission.objects.filter(pk=pk, assignment__offering__teacher__user=request.user).exists()
    )
    if not submission.feedback_file or not (staff_may or submission.returned_at is not None):
        raise Http404
    if staff_may:
        record_view_log(actor=request.user, obj=submission.student, kind=RecordViewKind.DOCUMENT)
    try:
        opened = submission.feedback_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    name = submission.feedback_file_name or _("feedback")
    return _attachment(opened, filename=name, content_type="application/octet-stream")
