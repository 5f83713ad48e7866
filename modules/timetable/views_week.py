"""Everyone's week: a student's own, a guardian's children's, a teacher's own, and for the office any
section's, teacher's or room's (with a picker); each as a page (a grid on a laptop, a list of days on a
phone), a PDF, and for the office the whole school as a printed booklet and an XLSX export.

`?date=YYYY-MM-DD` shows the week holding that day, drawn from the timetable in effect on each of its days.
Scoping: a guardian's children through their links, the office through `administrator_required`; any other
section, teacher, room or child is 404.
"""

from __future__ import annotations

import datetime

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from modules.academics.models import Room, Section
from modules.accounts.decorators import administrator_required
from modules.accounts.models import Role
from modules.accounts.roles import active_role
from modules.accounts.rules import is_guardian
from modules.core.access import role_required
from modules.core.exports import export_guarded
from modules.core.htmx import render_page
from modules.core.params import query_date, query_id
from modules.core.pdf import pdf_response
from modules.core.spreadsheets import xlsx_response
from modules.people.models import Staff, Student
from modules.timetable import exporting, printing, selectors
from modules.timetable.selectors import WeekGrid

TEMPLATE = "timetable/week/week.html"
# Dates far from today are refused (a week at the ends of the calendar would overflow).
FURTHEST = datetime.timedelta(days=366 * 20)


def _section_title(section) -> str:
    return pgettext("a section's timetable", "Section %(name)s") % {"name": section}


def is_student_or_teacher(user) -> bool:
    return user.is_authenticated and (Role.STUDENT in user.roles or Role.TEACHER in user.roles)


def chosen_day(request, raw: str | None = None) -> tuple[datetime.date, bool]:
    """The day asked for with ?date= (any day of the week wanted; or `raw`), else today; False when not
    understood."""
    today = timezone.localdate()
    raw = request.GET.get("date") if raw is None else raw
    day = query_date(raw)
    if day is None or abs(day - today) > FURTHEST:
        return today, raw in (None, "")
    return day, True


def _context(request, *, grid: WeekGrid, day, understood, title: str, kind: str, url: str, pdf_url: str):
    today = timezone.localdate()
    monday = selectors.monday_of(day)
    return {
        "grid": grid,
        "title": title,
        "kind": kind,
        "monday": monday,
        "sunday": monday + datetime.timedelta(days=6),
        "chosen": day,
        "today": today,
        "this_week": selectors.monday_of(today),
        "previous_week": monday - datetime.timedelta(days=7),
        "next_week": monday + datetime.timedelta(days=7),
        "understood": understood,
        "week_url": url,
        "pdf_url": pdf_url,
    }


def _page(request, context: dict, **extra):
    context.update(extra)
    return render_page(request, TEMPLATE, context, partial="week")


# Students and teachers: their own week -----------------------------------------------------------------


@require_GET
@role_required(is_student_or_teacher)
def my_week(request):
    """A student's section's week, or a teacher's lessons (as teacher, co-teacher or cover)."""
    day, understood = chosen_day(request)
    grid, title, kind = _own_week(request, day)
    context = _context(
        request,
        grid=grid,
        day=day,
        understood=understood,
        title=title,
        kind=kind,
        url=reverse("timetable:my_week"),
        pdf_url=reverse("timetable:my_week_pdf"),
    )
    return _page(request, context)


def _own_week(request, day) -> tuple[WeekGrid, str, str]:
    user = request.user
    if Role.STUDENT in user.roles and (
        active_role(request) == Role.STUDENT or Role.TEACHER not in user.roles
    ):
        return selectors.week_for_student(user.student_profile, day), _("My timetable"), "student"
    return selectors.week_for_teacher(user.staff_profile, day), _("My teaching timetable"), "teacher"


@require_GET
@role_required(is_student_or_teacher)
def my_week_pdf(request):
    day, _understood = chosen_day(request)
    grid, title, kind = _own_week(request, day)
    name = request.user.get_full_name() if hasattr(request.user, "get_full_name") else ""
    content = printing.weeks_pdf([(name or title, kind, grid)], title=title, request=request)
    return pdf_response(content, f"timetable-{selectors.monday_of(day):%Y-%m-%d}.pdf")


# Guardians: each child's week -------------------------------------------------------------------------


def _children(request) -> list[Student]:
    return list(
        Student.objects.filter(guardian_links__guardian__user=request.user)
        .distinct()
        .order_by("date_of_birth", "first_name")
    )


@require_GET
@role_required(is_guardian)
def children_week(request):
    """The first child's week, with a link to each other child's (most families: one page)."""
    children = _children(request)
    if not children:
        return render_page(request, TEMPLATE, {"title": _("Timetable"), "no_children": True, "kind": "child"})
    return _child_page(request, children[0], children)


@require_GET
@role_required(is_guardian)
def child_week(request, pk):
    children = _children(request)
    child = next((kid for kid in children if kid.pk == pk), None)
    if child is None:
        raise Http404
    return _child_page(request, child, children)


def _child_page(request, child: Student, children: list[Student]):
    day, understood = chosen_day(request)
    grid = selectors.week_for_student(child, day)
    context = _context(
        request,
        grid=grid,
        day=day,
        understood=understood,
        title=_("%(name)s's timetable") % {"name": child.first_name},
        kind="student",
        url=reverse("timetable:child_week", args=[child.pk]),
        pdf_url=reverse("timetable:child_week_pdf", args=[child.pk]),
    )
    return _page(request, context, child=child, children=children)


@require_GET
@role_required(is_guardian)
def child_week_pdf(request, pk):
    child = next((kid for kid in _children(request) if kid.pk == pk), None)
    if child is None:
        raise Http404
    day, _understood = chosen_day(request)
    grid = selectors.week_for_student(child, day)
    content = printing.weeks_pdf([(child.full_name, "student", grid)], title=child.full_name, request=request)
    return pdf_response(content, f"timetable-{selectors.monday_of(day):%Y-%m-%d}.pdf")


# The office: any section, teacher or room -------------------------------------------------------------


def _picker() -> dict:
    from modules.academics.selectors import current_year

    year = current_year()
    return {
        "sections": list(Section.objects.filter(year=year).select_related("grade_level")) if year else [],
        "teachers": list(Staff.objects.teachers().order_by("last_name", "first_name")),
        "rooms": list(Room.objects.order_by("name")),
    }


@require_GET
@administrator_required
def week_office(request):
    """The picker: a section, teacher or room (?section=, ?teacher=, ?room=) goes to its week."""
    for key, name in (("section", "section_week"), ("teacher", "teacher_week"), ("room", "room_week")):
        pk = query_id(request.GET.get(key))
        if pk is not None:
            date = query_date(request.GET.get("date"))
            query = f"?date={date:%Y-%m-%d}" if date else ""
            return redirect(reverse(f"timetable:{name}", args=[pk]) + query)
    day, understood = chosen_day(request)
    return render_page(
        request,
        "timetable/week/office.html",
        {"picker": _picker(), "chosen": day, "booklet_kinds": _booklet_kinds()},
    )


def _booklet_kinds() -> list[tuple[str, str]]:
    return [("sections", _("Every section")), ("teachers", _("Every teacher")), ("rooms", _("Every room"))]


def _office_week(request, obj, *, kind: str, name: str, title: str):
    day, understood = chosen_day(request)
    grid = {
        "section": selectors.week_for_section,
        "teacher": selectors.week_for_teacher,
        "room": selectors.week_for_room,
    }[kind](obj, day)
    context = _context(
        request,
        grid=grid,
        day=day,
        understood=understood,
        title=title,
        kind=kind,
        url=reverse(f"timetable:{name}", args=[obj.pk]),
        pdf_url=reverse(f"timetable:{kind}_pdf", args=[obj.pk]),
    )
    # The office may open any teacher's week: the lessons' teachers link to theirs.
    return _page(request, context, picker=_picker(), owner=obj, teacher_links=True)


@require_GET
@administrator_required
def section_week(request, pk):
    section = get_object_or_404(Section.objects.select_related("year"), pk=pk)
    return _office_week(request, section, kind="section", name="section_week", title=_section_title(section))


@require_GET
@administrator_required
def teacher_week(request, pk):
    staff = get_object_or_404(Staff, pk=pk)
    return _office_week(request, staff, kind="teacher", name="teacher_week", title=staff.full_name)


@require_GET
@administrator_required
def room_week(request, pk):
    room = get_object_or_404(Room, pk=pk)
    return _office_week(
        request, room, kind="room", name="room_week", title=_("Room %(name)s") % {"name": room}
    )


def _one_pdf(request, obj, kind: str, label: str):
    day, _understood = chosen_day(request)
    grid = {
        "section": selectors.week_for_section,
        "teacher": selectors.week_for_teacher,
        "room": selectors.week_for_room,
    }[kind](obj, day)
    content = printing.weeks_pdf([(label, kind, grid)], title=label, request=request)
    return pdf_response(content, f"timetable-{kind}-{obj.pk}-{selectors.monday_of(day):%Y-%m-%d}.pdf")


@require_GET
@administrator_required
def section_pdf(request, pk):
    section = get_object_or_404(Section, pk=pk)
    return _one_pdf(request, section, "section", _section_title(section))


@require_GET
@administrator_required
def teacher_pdf(request, pk):
    staff = get_object_or_404(Staff, pk=pk)
    return _one_pdf(request, staff, "teacher", staff.full_name)


@require_GET
@administrator_required
def room_pdf(request, pk):
    room = get_object_or_404(Room, pk=pk)
    return _one_pdf(request, room, "room", _("Room %(name)s") % {"name": room})


@require_POST
@administrator_required
def booklet(request, kind):
    """Every section's (teacher's, room's) week in one PDF, a page each: laid out now when small, else on
    the queue with its progress page (printing.BOOKLET_AT_ONCE)."""
    if kind not in selectors.BOOKLET_KINDS:
        raise Http404
    day, _understood = chosen_day(request, request.POST.get("date", ""))
    weeks = selectors.school_weeks(kind, day)
    refusal = printing.booklet_refusal(weeks)
    if refusal:
        context = {"picker": _picker(), "chosen": day, "booklet_kinds": _booklet_kinds(), "refusal": refusal}
        return render_page(request, "timetable/week/office.html", context, status=400)
    if len(weeks) > printing.BOOKLET_AT_ONCE:
        job = printing.timetable_booklet_start(kind=kind, day=day, user=request.user)
        return redirect("job_progress", job.pk)
    content = printing.booklet_pdf(kind, weeks, request=request)
    return pdf_response(content, f"timetable-{kind}-{selectors.monday_of(day):%Y-%m-%d}.pdf")


@require_GET
@administrator_required
@export_guarded
def export(request):
    """The whole school's week (the timetable in effect each day of it) as a spreadsheet, a row a lesson."""
    day, _understood = chosen_day(request)
    headers, rows = exporting.timetable_export(day=day, user=request.user)
    name = f"timetable-{selectors.monday_of(day):%Y-%m-%d}.xlsx"
    return xlsx_response(name, headers, rows, sheet_title=_("Timetable"))
