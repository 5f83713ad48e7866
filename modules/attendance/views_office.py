"""The office's live view of today's registers not yet taken, and the nudge to their teachers."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from modules.accounts.decorators import administrator_required
from modules.attendance.forms import AttendancePolicyForm
from modules.attendance.models import AttendancePolicy, Register
from modules.attendance.notices import office_board, register_label, register_nudge
from modules.attendance.services import POLICY_FIELDS, AttendanceError, policy_save
from modules.core.audit import snapshot
from modules.core.htmx import render_page

TEMPLATE = "attendance/office_today.html"
REFRESH_SECONDS = 30


def _board_response(request):
    policy = AttendancePolicy.load()
    context = {
        "board": office_board(day=timezone.localdate(), policy=policy),
        "policy": policy,
        "refresh_seconds": REFRESH_SECONDS,
        "checked_at": timezone.now(),
        # A swapped-in board carries the flash messages itself (the page's message area is not swapped).
        "is_fragment": bool(request.htmx),
    }
    response = render_page(request, TEMPLATE, context, partial="board")
    response.headers["Cache-Control"] = "no-store"
    return response


@require_GET
@administrator_required
def office_today(request):
    """Today's registers not yet submitted; the board fragment is polled every 30 s (htmx)."""
    return _board_response(request)


@require_POST
@administrator_required
def office_nudge(request, pk):
    register = get_object_or_404(Register, pk=pk)
    try:
        sent_at, sent_now = register_nudge(register=register, by=request.user)
    except AttendanceError as error:
        messages.error(request, error.message)
    else:
        values = {"register": register_label(register), "time": time_format(timezone.localtime(sent_at))}
        if sent_now:
            messages.success(request, _("The teacher of %(register)s was reminded at %(time)s.") % values)
        else:
            messages.info(
                request, _("The teacher of %(register)s was already reminded at %(time)s.") % values
            )
    if request.htmx:
        return _board_response(request)
    return redirect("attendance:office_today")


@require_http_methods(["GET", "POST"])
@administrator_required
def office_policy(request):
    """The school's attendance rules: daily or per-lesson registers (for the school, and for each grade level
    that differs), the teachers' cut-off, the chronic absence threshold, and whether guardians are told about
    absences."""
    policy = AttendancePolicy.objects.get(pk=AttendancePolicy.load().pk)
    before = snapshot(policy, POLICY_FIELDS)  # validation writes the submitted values onto the instance
    form = AttendancePolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        policy_save(policy=form.instance, grade_modes=form.grade_modes(), before=before, by=request.user)
        messages.success(request, _("The attendance rules were saved."))
        return redirect("attendance:office_policy")
    return render(request, "attendance/office_policy.html", {"form": form})
