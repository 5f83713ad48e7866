"""The office's requirement pages: per section (quick edit per class, the section's total against the
week), a class's whole requirement, teachers' limits and unavailable periods, rooms, kinds of room, joint
lessons, fixed lessons, the timetable settings, and the spreadsheet import. Office only; the current year."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from modules.academics.models import CourseOffering, Room, RoomType, Section, Weekday
from modules.academics.selectors import current_year
from modules.accounts.decorators import administrator_required
from modules.core.htmx import render_page
from modules.core.spreadsheets import xlsx_response
from modules.people.models import Staff
from modules.timetable import importing
from modules.timetable import requirements as services
from modules.timetable.forms_requirements import (
    CountsForm,
    ImportUploadForm,
    JointForm,
    PinForm,
    RequirementForm,
    RoomForm,
    RoomTypeForm,
    SettingsForm,
    TeacherLimitsForm,
)
from modules.timetable.models import JointLesson, Pin, Requirement, TeacherLimit
from modules.timetable.precheck import describe, precheck

T = "timetable/requirements/"


def _year():
    year = current_year()
    if year is None:
        raise Http404
    return year


def _problems(year, week=None) -> list[str]:
    return [describe(conflict) for conflict in precheck(year, week=week)]


@require_GET
@administrator_required
def requirements(request):
    year = current_year()
    if year is None:
        return render(request, T + "index.html", {"year": None})
    week = services.week_for(year)
    totals = services.section_periods(year)
    sections = Section.objects.filter(year=year).annotate(class_count=Count("offerings"))
    rows = [{"section": s, "periods": totals.get(s.pk, 0)} for s in sections]
    context = {"year": year, "week": week, "rows": rows, "problems": _problems(year, week)}
    return render(request, T + "index.html", context)


def _section_rows(section: Section) -> list[dict]:
    offerings = (
        CourseOffering.objects.filter(section=section)
        .select_related("subject", "teacher")
        .prefetch_related(
            Prefetch(
                "timetable_requirement",
                queryset=Requirement.objects.select_related("room", "room_type", "joint").prefetch_related(
                    "co_teachers", "candidate_teachers"
                ),
            )
        )
    )
    rows = []
    for offering in offerings:
        requirement = getattr(offering, "timetable_requirement", None)
        rows.append({"offering": offering, "requirement": requirement, "form": None})
    return rows


def _section_context(section: Section, year) -> dict:
    week = services.week_for(year)
    return {
        "section": section,
        "week": week,
        "total": services.section_periods(year).get(section.pk, 0),
        "problems": _problems(year, week),
    }


@require_GET
@administrator_required
def requirements_section(request, pk):
    year = _year()
    section = get_object_or_404(Section, pk=pk, year=year)
    context = {**_section_context(section, year), "rows": _section_rows(section)}
    return render(request, T + "section.html", context)


@require_POST
@administrator_required
def requirement_quick(request, pk):
    """The quick edit of one class's periods a week and doubles; htmx gets the row back with the section's
    total and the precheck, out of band."""
    year = _year()
    offering = get_object_or_404(
        CourseOffering.objects.select_related("section", "subject"), pk=pk, section__year=year
    )
    form = CountsForm(request.POST, prefix=f"q{offering.pk}")
    if form.is_valid():
        try:
            services.requirement_counts_save(offering=offering, by=request.user, **form.cleaned_data)
        except services.RequirementRefused as refusal:
            form.add_error(None, refusal.message)
    if not request.htmx:
        if form.errors:
            for error in form.errors.values():
                messages.error(request, " ".join(str(message) for message in error))
        return redirect("timetable:requirements_section", pk=offering.section_id)
    row = next(r for r in _section_rows(offering.section) if r["offering"].pk == offering.pk)
    row["form"] = form if form.errors else None
    row["saved"] = not form.errors
    context = {**_section_context(offering.section, year), "row": row, "oob": True}
    return render_page(request, T + "section.html", context, partial="row")


@require_http_methods(["GET", "POST"])
@administrator_required
def requirement_edit(request, pk):
    year = _year()
    offering = get_object_or_404(
        CourseOffering.objects.select_related("section", "subject", "teacher"), pk=pk, section__year=year
    )
    requirement = Requirement.objects.filter(offering=offering).first()
    form = RequirementForm(request.POST or None, year=year, initial=RequirementForm.initial_for(requirement))
    if request.method == "POST" and form.is_valid():
        try:
            services.requirement_save(offering=offering, by=request.user, **form.cleaned_data)
        except services.RequirementRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("The requirement of %(class)s was saved.") % {"class": offering})
            return redirect("timetable:requirements_section", pk=offering.section_id)
    context = {"offering": offering, "requirement": requirement, "form": form}
    return render(request, T + "requirement_form.html", context, status=400 if form.errors else 200)


@require_POST
@administrator_required
def requirement_delete(request, pk):
    year = _year()
    requirement = get_object_or_404(
        Requirement.objects.select_related("offering"), offering__pk=pk, offering__section__year=year
    )
    services.requirement_delete(requirement=requirement, by=request.user)
    messages.success(
        request, _("The requirement of %(class)s was removed.") % {"class": requirement.offering}
    )
    return redirect("timetable:requirements_section", pk=requirement.offering.section_id)


# ----------------------------------------------------------------------------------------------------
# Teachers and rooms


def _grid(week, blocked: set) -> list[dict]:
    """Rows of the unavailable grid: a period, and for each teaching day its checkbox's name and state."""
    return [
        {
            "period": period,
            "cells": [
                {
                    "name": f"off_{day}_{period.pk}",
                    "day": Weekday(day).label,
                    "checked": (day, period.pk) in blocked,
                }
                for day in week.weekdays
            ],
        }
        for period in week.periods
    ]


@require_GET
@administrator_required
def teachers(request):
    year = _year()
    people = services.teachers_for_year(year).annotate(
        off_count=Count("timetable_unavailable", filter=Q(timetable_unavailable__year=year), distinct=True)
    )
    limits = {limit.staff_id: limit for limit in TeacherLimit.objects.filter(year=year)}
    rows = [{"staff": person, "limit": limits.get(person.pk)} for person in people]
    return render(request, T + "teachers.html", {"year": year, "rows": rows})


@require_http_methods(["GET", "POST"])
@administrator_required
def teacher_edit(request, pk):
    year = _year()
    staff = get_object_or_404(Staff, pk=pk, is_active=True)
    week = services.week_for(year)
    limit = TeacherLimit.objects.filter(year=year, staff=staff).first()
    initial = {
        "max_periods_per_day": limit.max_periods_per_day if limit else None,
        "preferred_free_day": limit.preferred_free_day if limit else None,
    }
    form = TeacherLimitsForm(request.POST or None, week=week, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.teacher_limits_save(
                year=year, staff=staff, unavailable=form.slots(), by=request.user, **form.cleaned_data
            )
        except services.RequirementRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("%(name)s's limits were saved.") % {"name": staff.full_name})
            return redirect("timetable:teachers")
    blocked = form.slots() if form.is_bound else services.unavailable_slots(year=year, staff=staff)
    context = {"staff": staff, "form": form, "grid": _grid(week, blocked), "week": week}
    return render(request, T + "teacher_form.html", context, status=400 if form.errors else 200)


@require_GET
@administrator_required
def rooms(request):
    year = _year()
    found = Room.objects.select_related("room_type").annotate(
        off_count=Count("timetable_unavailable", filter=Q(timetable_unavailable__year=year), distinct=True)
    )
    return render(request, T + "rooms.html", {"year": year, "rooms": found})


@require_http_methods(["GET", "POST"])
@administrator_required
def room_edit(request, pk):
    year = _year()
    room = get_object_or_404(Room, pk=pk)
    week = services.week_for(year)
    initial = {"room_type": room.room_type_id, "capacity": room.capacity}
    form = RoomForm(request.POST or None, week=week, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.room_requirements_save(
                year=year, room=room, unavailable=form.slots(), by=request.user, **form.cleaned_data
            )
        except services.RequirementRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("Room %(name)s was saved.") % {"name": room.name})
            return redirect("timetable:rooms")
    blocked = form.slots() if form.is_bound else services.unavailable_slots(year=year, room=room)
    context = {"room": room, "form": form, "grid": _grid(week, blocked), "week": week}
    return render(request, T + "room_form.html", context, status=400 if form.errors else 200)


# ----------------------------------------------------------------------------------------------------
# Kinds of room


@require_http_methods(["GET", "POST"])
@administrator_required
def room_types(request):
    form = RoomTypeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            kind = services.room_type_create(name=form.cleaned_data["name"], by=request.user)
        except services.RequirementRefused as refusal:
            form.add_error("name", refusal.message)
        else:
            messages.success(request, _("The kind of room %(name)s was added.") % {"name": kind.name})
            return redirect("timetable:room_types")
    context = {"form": form, "kinds": services.room_types_with_counts()}
    return render(request, T + "room_types.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@administrator_required
def room_type_edit(request, pk):
    kind = get_object_or_404(RoomType, pk=pk)
    form = RoomTypeForm(request.POST or None, initial={"name": kind.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.room_type_rename(room_type=kind, name=form.cleaned_data["name"], by=request.user)
        except services.RequirementRefused as refusal:
            form.add_error("name", refusal.message)
        else:
            messages.success(request, _("The kind of room was renamed."))
            return redirect("timetable:room_types")
    return render(
        request, T + "room_type_form.html", {"kind": kind, "form": form}, status=400 if form.errors else 200
    )


@require_POST
@administrator_required
def room_type_delete(request, pk):
    kind = get_object_or_404(RoomType, pk=pk)
    try:
        services.room_type_delete(room_type=kind, by=request.user)
    except services.RequirementRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("The kind of room %(name)s was deleted.") % {"name": kind.name})
    return redirect("timetable:room_types")


# ----------------------------------------------------------------------------------------------------
# Joint lessons


def _joints(year):
    return JointLesson.objects.filter(year=year).prefetch_related(
        Prefetch(
            "requirements",
            queryset=Requirement.objects.select_related("offering__section", "offering__subject"),
        )
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def joints(request):
    year = _year()
    form = JointForm(request.POST or None, year=year)
    if request.method == "POST" and form.is_valid():
        try:
            joint = services.joint_save(year=year, by=request.user, **form.cleaned_data)
        except services.RequirementRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("The joint lesson %(name)s was saved.") % {"name": joint.name})
            return redirect("timetable:joints")
    context = {"form": form, "joints": _joints(year)}
    return render(request, T + "joints.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@administrator_required
def joint_edit(request, pk):
    year = _year()
    joint = get_object_or_404(JointLesson, pk=pk, year=year)
    initial = {"name": joint.name, "members": list(joint.requirements.all())}
    form = JointForm(request.POST or None, year=year, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.joint_save(year=year, joint=joint, by=request.user, **form.cleaned_data)
        except services.RequirementRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("The joint lesson %(name)s was saved.") % {"name": joint.name})
            return redirect("timetable:joints")
    return render(
        request, T + "joint_form.html", {"joint": joint, "form": form}, status=400 if form.errors else 200
    )


@require_POST
@administrator_required
def joint_delete(request, pk):
    joint = get_object_or_404(JointLesson, pk=pk, year=_year())
    services.joint_delete(joint=joint, by=request.user)
    messages.success(request, _("The joint lesson %(name)s was deleted.") % {"name": joint.name})
    return redirect("timetable:joints")


# ----------------------------------------------------------------------------------------------------
# Fixed lessons


@require_http_methods(["GET", "POST"])
@administrator_required
def pins(request):
    year = _year()
    week = services.week_for(year)
    form = PinForm(request.POST or None, year=year, week=week)
    if request.method == "POST" and form.is_valid():
        try:
            services.pin_add(by=request.user, **form.cleaned_data)
        except services.RequirementRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("The lesson was fixed."))
            return redirect("timetable:pins")
    found = Pin.objects.filter(requirement__offering__section__year=year).select_related(
        "requirement__offering__section", "requirement__offering__subject", "period"
    )
    context = {"form": form, "pins": found, "week": week}
    return render(request, T + "pins.html", context, status=400 if form.errors else 200)


@require_POST
@administrator_required
def pin_delete(request, pk):
    pin = get_object_or_404(Pin, pk=pk, requirement__offering__section__year=_year())
    services.pin_delete(pin=pin, by=request.user)
    messages.success(request, _("The lesson is no longer fixed."))
    return redirect("timetable:pins")


# ----------------------------------------------------------------------------------------------------
# Settings


@require_http_methods(["GET", "POST"])
@administrator_required
def timetable_settings(request):
    year = _year()
    current = services.settings_for(year)
    form = SettingsForm(request.POST or None, initial=SettingsForm.initial_for(current))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.timetable_settings_save(
                year=year,
                weekdays=data["weekdays"],
                periods=data["periods"],
                time_limit_seconds=data["time_limit_seconds"],
                weights={
                    name: data[f"weight_{name}"] for name in ("teacher_gaps", "spread", "early", "free_day")
                },
                by=request.user,
            )
        except services.RequirementRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("The timetable settings were saved."))
            return redirect("timetable:settings")
    return render(
        request, T + "settings.html", {"year": year, "form": form}, status=400 if form.errors else 200
    )


# ----------------------------------------------------------------------------------------------------
# Import


@require_http_methods(["GET", "POST"])
@administrator_required
def requirements_import(request):
    """Upload → the dry run on the page (every row's problems); a clean dry run offers the import."""
    year = _year()
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    dry_run = None
    if request.method == "POST" and form.is_valid():
        try:
            rows = importing.read_upload(form.cleaned_data["file"])
        except importing.ImportRefused as refusal:
            form.add_error("file", refusal.message)
        else:
            dry_run = importing.requirements_dry_run(year=year, rows=rows)
    context = {"form": form, "dry_run": dry_run, "columns": importing.COLUMNS, "year": year}
    return render(request, T + "import.html", context, status=400 if form.errors else 200)


@require_GET
@administrator_required
def requirements_import_template(request):
    headers, example, help_rows = importing.template_rows()
    return xlsx_response(
        "timetable-requirements-template.xlsx",
        headers,
        example,
        sheet_title=_("Requirements"),
        extra_sheets=[(_("Help"), [_("Column"), _("Required"), _("What to write")], help_rows)],
    )


@require_POST
@administrator_required
def requirements_import_confirm(request):
    year = _year()
    rows = importing.rows_from_signed(request.POST.get("rows", ""))
    if rows is None:
        messages.error(request, _("This dry run expired or was changed. Upload the file again."))
        return redirect("timetable:requirements_import")
    try:
        outcome = importing.requirements_import(year=year, rows=rows, by=request.user)
    except services.RequirementRefused as refusal:
        messages.error(request, refusal.message + " " + _("Nothing was imported."))
        return redirect("timetable:requirements_import")
    if isinstance(outcome, importing.DryRun):
        context = {
            "form": ImportUploadForm(),
            "dry_run": outcome,
            "columns": importing.COLUMNS,
            "year": year,
            "changed": True,
        }
        return render(request, T + "import.html", context, status=409)
    messages.success(request, _("%(count)s requirements were imported.") % {"count": outcome})
    return redirect("timetable:requirements")
