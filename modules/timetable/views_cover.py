"""Cover for absent teachers: the office marks a teacher away and assigns cover on the day's board (one
click, with htmx or as a plain form); a teacher sees the lessons they cover."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from modules.accounts import rules as account_rules
from modules.accounts.decorators import administrator_required
from modules.core.access import role_required
from modules.core.htmx import render_page
from modules.timetable import covering
from modules.timetable.forms_cover import AbsenceForm, AssignForm, DayForm
from modules.timetable.models import Cover, TeacherAbsence

BOARD = "timetable/cover/board.html"


def _board_url(day: datetime.date) -> str:
    return f"{reverse('timetable:cover_board')}?{urlencode({'date': day.isoformat()})}"


def _board_response(request, day: datetime.date):
    context = {
        "board": covering.cover_board(day),
        "day_form": DayForm(initial={"date": day}),
        "today": timezone.localdate(),
        "previous_day": day - datetime.timedelta(days=1),
        "next_day": day + datetime.timedelta(days=1),
        # A swapped-in board carries the flash messages itself (the page's message area is not swapped).
        "is_fragment": bool(request.htmx),
    }
    response = render_page(request, BOARD, context, partial="board")
    response.headers["Cache-Control"] = "no-store"
    return response


def _after_change(request, day: datetime.date):
    if request.htmx:
        return _board_response(request, day)
    return redirect(_board_url(day))


@require_GET
@administrator_required
def cover_board(request):
    """The day's teachers away and lessons to cover, each with its cover or the free teachers to pick."""
    return _board_response(request, DayForm(request.GET or None).day())


@require_http_methods(["GET", "POST"])
@administrator_required
def absence_new(request):
    initial = {"date": DayForm(request.GET or None).day()}
    form = AbsenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            covering.absence_record(
                staff=data["staff"],
                date=data["date"],
                periods=data["periods"],
                note=data["note"],
                user=request.user,
            )
        except covering.CoverError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("%(teacher)s is marked away on %(date)s.")
                % {"teacher": data["staff"].full_name, "date": date_format(data["date"], "DATE_FORMAT")},
            )
            return redirect(_board_url(data["date"]))
    return render_page(request, "timetable/cover/absence_form.html", {"form": form})


@require_POST
@administrator_required
def absence_remove(request, pk):
    absence = get_object_or_404(TeacherAbsence.objects.select_related("staff"), pk=pk)
    day = absence.date
    covering.absence_remove(absence=absence, user=request.user)
    messages.success(
        request,
        _("%(teacher)s is no longer marked away on %(date)s.")
        % {"teacher": absence.staff.full_name, "date": date_format(day, "DATE_FORMAT")},
    )
    return _after_change(request, day)


@require_POST
@administrator_required
def cover_assign(request):
    form = AssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That lesson or teacher is no longer there: the board is shown again."))
        return _after_change(request, DayForm(request.POST).day())
    lesson, day, teacher = (form.cleaned_data[name] for name in ("lesson", "date", "teacher"))
    try:
        covering.cover_assign(lesson=lesson, day=day, teacher=teacher, user=request.user)
    except covering.CoverError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(teacher)s covers %(class)s. They have been told.")
            % {"teacher": teacher.full_name, "class": str(lesson.offering)},
        )
    return _after_change(request, day)


@require_POST
@administrator_required
def cover_remove(request, pk):
    cover = get_object_or_404(
        Cover.objects.select_related("teacher", "lesson__offering__subject", "lesson__offering__section"),
        pk=pk,
    )
    day = cover.date
    covering.cover_remove(cover=cover, user=request.user)
    messages.success(
        request,
        _("%(teacher)s no longer covers %(class)s.")
        % {"teacher": cover.teacher.full_name, "class": str(cover.lesson.offering)},
    )
    return _after_change(request, day)


@require_GET
@role_required(account_rules.is_teacher)
def my_cover(request):
    """The lessons this teacher covers from today on."""
    staff = getattr(request.user, "staff_profile", None)
    today = timezone.localdate()
    covers = covering.my_covers(staff, since=today) if staff is not None else []
    return render_page(request, "timetable/cover/mine.html", {"covers": covers, "today": today})
