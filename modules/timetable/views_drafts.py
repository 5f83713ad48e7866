"""The office's timetables: versions and which is live, generating (on the queue, with its progress),
reviewing a timetable by section, teacher or room, the difference against the live one, moving and locking
lessons, generating the rest again, publishing, copying the live one into a draft, deleting a draft."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from modules.academics.models import AcademicYear, Room, Weekday
from modules.accounts.decorators import administrator_required
from modules.core.htmx import render_page
from modules.core.models import Job
from modules.core.params import query_id
from modules.timetable import editing, explain, generating, publishing, reviewing
from modules.timetable import precheck as prechecking
from modules.timetable.diff import timetable_diff
from modules.timetable.forms_drafts import (
    CopyForm,
    GenerateForm,
    LockForm,
    MoveForm,
    PublishForm,
    RegenerateForm,
    VersionForm,
)
from modules.timetable.models import Lesson, Timetable, TimetableStatus

ONE_DAY = datetime.timedelta(days=1)


def _year(request) -> AcademicYear:
    """The year asked for (`year` in the query or the form: next year's timetable is made before it
    starts), else the current one."""
    wanted = query_id(request.POST.get("year") or request.GET.get("year"))
    if wanted is not None:
        return get_object_or_404(AcademicYear, pk=wanted)
    year = AcademicYear.objects.current() or AcademicYear.objects.order_by("-start_date").first()
    if year is None:
        raise Http404
    return year


def _timetable(pk: int) -> Timetable:
    timetable = get_object_or_404(Timetable.objects.select_related("year", "job"), pk=pk)
    return generating.timetable_release(timetable=timetable)


def _lesson(timetable: Timetable, lesson_pk: int) -> Lesson:
    return get_object_or_404(
        Lesson.objects.select_related("offering__subject", "offering__section", "teacher", "room", "period"),
        pk=lesson_pk,
        timetable=timetable,
    )


def _listing(timetable: Timetable) -> str:
    return f"{reverse('timetable:timetables')}?year={timetable.year_id}"


def _described(conflicts) -> list[str]:
    return [explain.describe(conflict) for conflict in conflicts or []]


@require_GET
@administrator_required
def timetables(request):
    """Every timetable of the year, the live one marked; generate a new draft (precheck shown first)."""
    year = _year(request)
    rows = list(Timetable.objects.filter(year=year).select_related("job", "created_by"))
    live = reviewing.live_timetable(year, timezone.localdate())
    context = {
        "year": year,
        "years": AcademicYear.objects.order_by("-start_date"),
        "timetables": rows,
        "live": live,
        "running": generating.generation_running(year),
        "form": GenerateForm(),
        "problems": [prechecking.describe(conflict) for conflict in prechecking.precheck(year)],
    }
    return render_page(request, "timetable/drafts/timetables.html", context)


@require_POST
@administrator_required
def generate(request):
    year = _year(request)
    form = GenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the name of the new timetable."))
        return redirect(f"{reverse('timetable:timetables')}?year={year.pk}")
    try:
        job = generating.timetable_generate_start(
            year=year, user=request.user, partial=form.cleaned_data["partial"], name=form.cleaned_data["name"]
        )
    except generating.GenerationRunning as refusal:
        messages.error(request, str(refusal))
        return redirect(f"{reverse('timetable:timetables')}?year={year.pk}")
    return redirect("timetable:generation", job.pk)


@require_GET
@administrator_required
def generation(request, pk):
    """A generation's progress; the page polls its `progress` fragment until it is finished."""
    job = get_object_or_404(Job, pk=pk, kind=generating.JOB_KIND)
    timetable = Timetable.objects.filter(pk=job.payload.get("timetable")).first()
    context = {"job": job, "timetable": timetable}
    return render_page(request, "timetable/drafts/generation.html", context, partial="progress")


@require_GET
@administrator_required
def review(request, pk):
    """A timetable by section, teacher or room: the week, the soft score and broken wishes, what cannot be
    done and the lessons left unplaced with why."""
    timetable = _timetable(pk)
    kind = request.GET.get("by", "section")
    if kind not in reviewing.KINDS:
        kind = "section"
    choices = reviewing.choices(timetable)
    chosen = None
    wanted = query_id(request.GET.get("id"))
    if wanted is not None:
        chosen = next((item for item in choices[kind] if item.pk == wanted), None)
    if chosen is None and choices[kind]:
        chosen = choices[kind][0]
    lessons = reviewing.lessons_of(timetable, kind, chosen.pk) if chosen else []
    all_lessons = reviewing.timetable_lessons(timetable)
    weekdays, periods = reviewing.school_week(timetable.year, all_lessons)
    unplaced = [lesson for lesson in all_lessons if lesson.weekday is None]
    context = {
        "timetable": timetable,
        "kind": kind,
        "choices": choices,
        "chosen": chosen,
        "grid": reviewing.week_grid(lessons=lessons, weekdays=weekdays, periods=periods),
        "wishes": [explain.describe_wish(wish) for wish in timetable.broken_wishes or []],
        "conflicts": _described(timetable.conflicts),
        "unplaced": [
            (lesson, explain.describe(lesson.reason) if lesson.reason else "") for lesson in unplaced
        ],
        "editable": timetable.status != TimetableStatus.GENERATING,
        "is_draft": timetable.status == TimetableStatus.DRAFT,
        "regenerate_form": RegenerateForm(initial={"version": timetable.version}),
        "running": generating.generation_running(timetable.year),
        "locked_count": sum(1 for lesson in all_lessons if lesson.locked),
    }
    return render_page(request, "timetable/drafts/review.html", context)


@require_GET
@administrator_required
def diff(request, pk):
    """What the timetable changes against the live one, class by class."""
    timetable = _timetable(pk)
    live = reviewing.live_timetable(timetable.year, timezone.localdate())
    against = live if live and live.pk != timetable.pk else None
    context = {
        "timetable": timetable,
        "live": against,
        "diff": timetable_diff(timetable=timetable, against=against),
    }
    return render_page(request, "timetable/drafts/diff.html", context)


@require_http_methods(["GET", "POST"])
@administrator_required
def move(request, pk, lesson_pk):
    """Move a lesson: the valid slots only, each a button (no JavaScript needed); dragging on the board
    posts here too. A slot that clashes is refused with what it clashes with; a lesson of the published
    timetable whose registers were taken at its current time is moved once the person confirms."""
    timetable = _timetable(pk)
    lesson = _lesson(timetable, lesson_pk)
    form = MoveForm(request.POST or None, initial={"version": timetable.version})
    status, asking = 200, None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                moved = _move(request, lesson, form.cleaned_data)
            except editing.StaleTimetable as stale:
                messages.error(request, str(stale))
                return _redirect(request, _back(timetable, lesson))
            except editing.EditRefused as refusal:
                form.add_error(None, str(refusal))
            except editing.RegistersTaken as question:
                status, asking = 200, question
            else:
                return _redirect(request, _back(timetable, moved))
    board = editing.Board(timetable)
    slots = board.valid_slots(lesson) if timetable.status != TimetableStatus.GENERATING else []
    context = {"timetable": timetable, "lesson": lesson, "form": form, "slots": slots, "asking": asking}
    if asking is not None:
        data = form.cleaned_data
        room_id = data.get("room_id")
        context["asked_slot"] = f"{data['weekday']}:{data['period'].pk}:{'' if room_id is None else room_id}"
        context["asked_where"] = f"{Weekday(data['weekday']).label} {data['period'].name}"
    return render_page(request, "timetable/drafts/move.html", context, partial="move", status=status)


def _move(request, lesson: Lesson, data: dict) -> Lesson:
    room_id = data.get("room_id")
    room = Room.objects.filter(pk=room_id).first() if room_id is not None else None
    moved = editing.lesson_move(
        lesson=lesson,
        weekday=data["weekday"],
        period=data["period"],
        room=room,
        version=data["version"],
        user=request.user,
        confirm=data.get("confirm") or "",
    )
    messages.success(
        request,
        _("%(class)s moved to %(day)s %(period)s.")
        % {"class": moved.offering, "day": moved.get_weekday_display(), "period": data["period"].name},
    )
    return moved


def _redirect(request, url: str):
    """Back to the board: htmx is told to load it as a page (the move page's fragment is not its place)."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _back(timetable: Timetable, lesson: Lesson) -> str:
    url = reverse("timetable:timetable", args=[timetable.pk])
    return f"{url}?by=section&id={lesson.offering.section_id}"


@require_GET
@administrator_required
def slots(request, pk, lesson_pk):
    """The slots a lesson may move to, for the board's dragging (it marks them while a lesson is held)."""
    timetable = _timetable(pk)
    lesson = _lesson(timetable, lesson_pk)
    if timetable.status == TimetableStatus.GENERATING:
        return JsonResponse({"slots": []})
    found = editing.Board(timetable).valid_slots(lesson)
    return JsonResponse({"slots": [{"weekday": s.weekday, "period": s.period.pk} for s in found]})


@require_POST
@administrator_required
def lock(request, pk, lesson_pk):
    timetable = _timetable(pk)
    lesson = _lesson(timetable, lesson_pk)
    form = LockForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The page was out of date; here it is again."))
        return redirect(_back(timetable, lesson))
    try:
        editing.lesson_lock(
            lesson=lesson,
            locked=form.cleaned_data["locked"],
            version=form.cleaned_data["version"],
            user=request.user,
        )
    except (editing.StaleTimetable, editing.EditRefused) as refusal:
        messages.error(request, str(refusal))
    else:
        text = _("%(class)s is locked where it is.") if lesson.locked else _("%(class)s is unlocked.")
        messages.success(request, text % {"class": lesson.offering})
    return redirect(_back(timetable, lesson))


@require_POST
@administrator_required
def regenerate(request, pk):
    """Generate the draft again, keeping its locked lessons where they are."""
    timetable = _timetable(pk)
    form = RegenerateForm(request.POST)
    if not form.is_valid() or form.cleaned_data["version"] != timetable.version:
        messages.error(request, str(editing.StaleTimetable()))
        return redirect("timetable:timetable", timetable.pk)
    try:
        job = generating.timetable_generate_start(
            year=timetable.year, user=request.user, timetable=timetable, partial=form.cleaned_data["partial"]
        )
    except (generating.GenerationRunning, generating.NotRegenerable) as refusal:
        messages.error(request, str(refusal))
        return redirect("timetable:timetable", timetable.pk)
    return redirect("timetable:generation", job.pk)


@require_http_methods(["GET", "POST"])
@administrator_required
def publish(request, pk):
    """Publish from a date; when taken registers would lose their lesson, ask first (they are kept)."""
    timetable = _timetable(pk)
    if timetable.status != TimetableStatus.DRAFT:
        raise Http404
    live = reviewing.live_timetable(timetable.year, timezone.localdate())
    initial = {
        "version": timetable.version,
        "effective_from": max(timezone.localdate(), timetable.year.start_date),
    }
    form = PublishForm(request.POST or None, initial=initial)
    orphans = 0
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = publishing.timetable_publish(
                timetable=timetable,
                effective_from=data["effective_from"],
                user=request.user,
                confirm=form.confirmed,
                version=data["version"],
            )
        except editing.StaleTimetable as stale:
            messages.error(request, str(stale))
            return redirect("timetable:timetable_publish", timetable.pk)
        except publishing.PublishRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            if result.published:
                messages.success(request, _("%(name)s is published.") % {"name": timetable.name})
                for ended in result.ended:
                    messages.info(
                        request,
                        _("%(name)s is in effect until %(day)s.")
                        % {
                            "name": ended.name,
                            "day": date_format(data["effective_from"] - ONE_DAY, "DATE_FORMAT"),
                        },
                    )
                for replaced in result.replaced:
                    messages.info(request, _("%(name)s is a draft again.") % {"name": replaced.name})
                return redirect(_listing(timetable))
            orphans = result.orphaned_registers
            form = PublishForm(initial={**data, "confirm": data["effective_from"].isoformat()})
    status = 400 if form.is_bound and form.errors else 200
    context = {
        "timetable": timetable,
        "live": live if live and live.pk != timetable.pk else None,
        "form": form,
        "orphans": orphans,
        "orphans_text": ngettext(
            "%(count)s register already taken on or after that date is for a lesson this timetable does not "
            "have. It is kept, with its attendance, but no lesson of the new timetable will lead to it.",
            "%(count)s registers already taken on or after that date are for lessons this timetable does not "
            "have. They are kept, with their attendance, but no lesson of the new timetable will lead to "
            "them.",
            orphans,
        )
        % {"count": orphans},
    }
    return render_page(request, "timetable/drafts/publish.html", context, status=status)


@require_POST
@administrator_required
def copy(request, pk):
    """A new draft with the lessons of this timetable (the live one, usually) to edit and publish."""
    source = _timetable(pk)
    form = CopyForm(request.POST)
    name = form.cleaned_data["name"] if form.is_valid() else _("Copy of %(name)s") % {"name": source.name}
    try:
        draft = editing.timetable_copy(source=source, user=request.user, name=name[:80])
    except editing.EditRefused as refusal:
        messages.error(request, str(refusal))
        return redirect(_listing(source))
    messages.success(request, _("%(name)s is a new draft to edit.") % {"name": draft.name})
    return redirect("timetable:timetable", draft.pk)


@require_http_methods(["GET", "POST"])
@administrator_required
def delete(request, pk):
    timetable = _timetable(pk)
    if timetable.status != TimetableStatus.DRAFT:
        raise Http404
    form = VersionForm(request.POST or None, initial={"version": timetable.version})
    if request.method == "POST" and form.is_valid():
        try:
            editing.timetable_delete(
                timetable=timetable, version=form.cleaned_data["version"], user=request.user
            )
        except (editing.StaleTimetable, editing.EditRefused) as refusal:
            messages.error(request, str(refusal))
            return redirect("timetable:timetable_delete", timetable.pk)
        messages.success(request, _("%(name)s was deleted.") % {"name": timetable.name})
        return redirect(_listing(timetable))
    return render_page(request, "timetable/drafts/delete.html", {"timetable": timetable, "form": form})
