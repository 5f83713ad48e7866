"""The office's academic-structure setup pages. Administrators only; every write that has a rule goes through
services.py."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from modules.academics import selectors, services
from modules.academics.filters import CourseOfferingFilter
from modules.academics.forms import (
    AcademicYearForm,
    CalendarEventForm,
    CourseOfferingForm,
    EnrollmentAddForm,
    EnrollmentMoveForm,
    GradeLevelForm,
    PeriodForm,
    RoomForm,
    SectionForm,
    SubjectForm,
    TermForm,
)
from modules.academics.models import (
    AcademicYear,
    CalendarEvent,
    CourseOffering,
    Enrollment,
    EnrollmentStatus,
    GradeLevel,
    Period,
    Room,
    Section,
    Subject,
    Term,
)
from modules.academics.tables import CourseOfferingTable
from modules.accounts.decorators import administrator_required
from modules.core.htmx import render_page
from modules.core.params import query_date, query_id, table_configure

PER_PAGE = 25


def _timetabled_lessons() -> Q:
    """The rooms' and periods' "timetabled lessons": those of the published timetables not ended yet
    (academics sits below the timetable module, so it names the relation and the status, not the module)."""
    return Q(lessons__timetable__status="published") & (
        Q(lessons__timetable__effective_until__isnull=True)
        | Q(lessons__timetable__effective_until__gte=timezone.localdate())
    )


CANDIDATES_SHOWN = 200


def _posted(request):
    """The submitted data for a POST (even an empty one, so that it is validated), else None."""
    return request.POST if request.method == "POST" else None


def _chosen_year(request) -> AcademicYear | None:
    """The year in ?year=, else the current one (an unknown year is a 404, not a silent switch)."""
    pk = query_id(request.GET.get("year"))
    if pk is not None:
        return get_object_or_404(AcademicYear, pk=pk)
    return selectors.current_year()


def _form_page(
    request,
    form,
    *,
    title: str,
    cancel_url: str,
    success_url: str | Callable[[object], str],
    delete_url: str = "",
):
    """A create/edit page for one row. Model rules and constraints are checked by the form, so they land on
    the page as messages next to the fields, never as a 500."""
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, _("%(name)s was saved.") % {"name": saved})
        return redirect(success_url(saved) if callable(success_url) else success_url)
    context = {"form": form, "title": title, "cancel_url": cancel_url, "delete_url": delete_url}
    return render(request, "academics/form.html", context)


def _delete(request, obj, list_url: str):
    try:
        services.setup_item_delete(obj=obj, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(name)s was deleted.") % {"name": obj})
    return redirect(list_url)


# Overview


@require_GET
@administrator_required
def setup(request):
    year = selectors.current_year()
    context = {"year": year, "counts": selectors.setup_counts(year)}
    return render(request, "academics/setup.html", context)


# Academic years and terms


@require_GET
@administrator_required
def year_list(request):
    years = AcademicYear.objects.annotate(
        term_count=Count("terms", distinct=True), section_count=Count("sections", distinct=True)
    ).order_by("-start_date")
    return render(request, "academics/year_list.html", {"years": years})


@require_GET
@administrator_required
def year_detail(request, pk):
    year = get_object_or_404(AcademicYear, pk=pk)
    sections = selectors.sections_with_counts(year)
    context = {"year": year, "terms": year.terms.order_by("start_date"), "sections": sections}
    return render(request, "academics/year_detail.html", context)


@require_http_methods(["GET", "POST"])
@administrator_required
def year_create(request):
    form = AcademicYearForm(_posted(request))
    return _form_page(
        request,
        form,
        title=_("New academic year"),
        cancel_url=reverse("academics:year_list"),
        success_url=lambda year: reverse("academics:year_detail", args=[year.pk]),
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def year_edit(request, pk):
    year = get_object_or_404(AcademicYear, pk=pk)
    url = reverse("academics:year_detail", args=[year.pk])
    form = AcademicYearForm(_posted(request), instance=year)
    return _form_page(
        request, form, title=_("Edit %(name)s") % {"name": year}, cancel_url=url, success_url=url
    )


@require_POST
@administrator_required
def year_set_current(request, pk):
    year = get_object_or_404(AcademicYear, pk=pk)
    services.academic_year_set_current(year=year, by=request.user)
    messages.success(request, _("%(name)s is now the current academic year.") % {"name": year})
    return redirect("academics:year_list")


@require_http_methods(["GET", "POST"])
@administrator_required
def term_create(request, year_pk):
    year = get_object_or_404(AcademicYear, pk=year_pk)
    url = reverse("academics:year_detail", args=[year.pk])
    form = TermForm(_posted(request), instance=Term(year=year))
    title = _("New term in %(year)s") % {"year": year}
    return _form_page(request, form, title=title, cancel_url=url, success_url=url)


@require_http_methods(["GET", "POST"])
@administrator_required
def term_edit(request, year_pk, pk):
    term = get_object_or_404(Term.objects.select_related("year"), pk=pk, year_id=year_pk)
    url = reverse("academics:year_detail", args=[year_pk])
    form = TermForm(_posted(request), instance=term)
    return _form_page(
        request, form, title=_("Edit %(name)s") % {"name": term}, cancel_url=url, success_url=url
    )


# Grade levels, subjects, rooms, bell schedule


@require_GET
@administrator_required
def gradelevel_list(request):
    levels = GradeLevel.objects.annotate(use_count=Count("sections"))
    return render(request, "academics/gradelevel_list.html", {"items": levels})


@require_http_methods(["GET", "POST"])
@administrator_required
def gradelevel_create(request):
    url = reverse("academics:gradelevel_list")
    form = GradeLevelForm(_posted(request))
    return _form_page(request, form, title=_("New grade level"), cancel_url=url, success_url=url)


@require_http_methods(["GET", "POST"])
@administrator_required
def gradelevel_edit(request, pk):
    level = get_object_or_404(GradeLevel, pk=pk)
    url = reverse("academics:gradelevel_list")
    form = GradeLevelForm(_posted(request), instance=level)
    title = _("Edit %(name)s") % {"name": level}
    delete_url = reverse("academics:gradelevel_delete", args=[level.pk])
    return _form_page(request, form, title=title, cancel_url=url, success_url=url, delete_url=delete_url)


@require_POST
@administrator_required
def gradelevel_delete(request, pk):
    return _delete(request, get_object_or_404(GradeLevel, pk=pk), reverse("academics:gradelevel_list"))


@require_GET
@administrator_required
def subject_list(request):
    subjects = Subject.objects.annotate(use_count=Count("offerings"))
    return render(request, "academics/subject_list.html", {"items": subjects})


@require_http_methods(["GET", "POST"])
@administrator_required
def subject_create(request):
    url = reverse("academics:subject_list")
    form = SubjectForm(_posted(request))
    return _form_page(request, form, title=_("New subject"), cancel_url=url, success_url=url)


@require_http_methods(["GET", "POST"])
@administrator_required
def subject_edit(request, pk):
    subject = get_object_or_404(Subject, pk=pk)
    url = reverse("academics:subject_list")
    form = SubjectForm(_posted(request), instance=subject)
    title = _("Edit %(name)s") % {"name": subject}
    delete_url = reverse("academics:subject_delete", args=[subject.pk])
    return _form_page(request, form, title=title, cancel_url=url, success_url=url, delete_url=delete_url)


@require_POST
@administrator_required
def subject_delete(request, pk):
    return _delete(request, get_object_or_404(Subject, pk=pk), reverse("academics:subject_list"))


@require_GET
@administrator_required
def room_list(request):
    rooms = Room.objects.annotate(
        section_count=Count("sections", distinct=True),
        entry_count=Count("lessons", filter=_timetabled_lessons(), distinct=True),
    )
    return render(request, "academics/room_list.html", {"items": rooms})


@require_http_methods(["GET", "POST"])
@administrator_required
def room_create(request):
    url = reverse("academics:room_list")
    form = RoomForm(_posted(request))
    return _form_page(request, form, title=_("New room"), cancel_url=url, success_url=url)


@require_http_methods(["GET", "POST"])
@administrator_required
def room_edit(request, pk):
    room = get_object_or_404(Room, pk=pk)
    url = reverse("academics:room_list")
    form = RoomForm(_posted(request), instance=room)
    title = _("Edit room %(name)s") % {"name": room}
    delete_url = reverse("academics:room_delete", args=[room.pk])
    return _form_page(request, form, title=title, cancel_url=url, success_url=url, delete_url=delete_url)


@require_POST
@administrator_required
def room_delete(request, pk):
    return _delete(request, get_object_or_404(Room, pk=pk), reverse("academics:room_list"))


@require_GET
@administrator_required
def period_list(request):
    periods = Period.objects.annotate(entry_count=Count("lessons", filter=_timetabled_lessons()))
    return render(request, "academics/period_list.html", {"periods": periods.order_by("order")})


@require_http_methods(["GET", "POST"])
@administrator_required
def period_create(request):
    url = reverse("academics:period_list")
    next_order = (Period.objects.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    form = PeriodForm(_posted(request), initial={"order": next_order})
    return _form_page(request, form, title=_("New period"), cancel_url=url, success_url=url)


@require_http_methods(["GET", "POST"])
@administrator_required
def period_edit(request, pk):
    period = get_object_or_404(Period, pk=pk)
    url = reverse("academics:period_list")
    form = PeriodForm(_posted(request), instance=period)
    return _form_page(
        request, form, title=_("Edit %(name)s") % {"name": period.name}, cancel_url=url, success_url=url
    )


# Sections, rosters and enrollments


@require_GET
@administrator_required
def section_list(request):
    year = _chosen_year(request)
    context = {
        "year": year,
        "years": AcademicYear.objects.all(),
        "sections": selectors.sections_with_counts(year),
    }
    return render_page(request, "academics/section_list.html", context, partial="results")


@require_http_methods(["GET", "POST"])
@administrator_required
def section_create(request):
    year = _chosen_year(request)
    form = SectionForm(_posted(request), initial={"year": year})
    url = reverse("academics:section_list")
    success = lambda section: reverse("academics:section_roster", args=[section.pk])  # noqa: E731
    return _form_page(request, form, title=_("New section"), cancel_url=url, success_url=success)


@require_http_methods(["GET", "POST"])
@administrator_required
def section_edit(request, pk):
    section = get_object_or_404(Section, pk=pk)
    url = reverse("academics:section_roster", args=[section.pk])
    form = SectionForm(_posted(request), instance=section)
    title = _("Edit section %(name)s") % {"name": section}
    return _form_page(request, form, title=title, cancel_url=url, success_url=url)


@require_GET
@administrator_required
def enrollment_list(request):
    year = _chosen_year(request)
    unenrolled = selectors.unenrolled_students(year)
    context = {
        "year": year,
        "years": AcademicYear.objects.all(),
        "sections": selectors.sections_with_counts(year),
        "unenrolled": unenrolled[:CANDIDATES_SHOWN],
        "unenrolled_count": unenrolled.count(),
    }
    return render_page(request, "academics/enrollment_list.html", context, partial="results")


@require_http_methods(["GET", "POST"])
@administrator_required
def section_roster(request, pk):
    section = get_object_or_404(
        Section.objects.select_related("year", "grade_level", "homeroom_teacher", "room"), pk=pk
    )
    candidates = selectors.unenrolled_students(section.year)
    form = EnrollmentAddForm(_posted(request), candidates=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            added = services.enrollments_create(
                section=section, students=form.cleaned_data["students"], by=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)s student added to %(section)s.",
                    "%(count)s students added to %(section)s.",
                    len(added),
                )
                % {"count": len(added), "section": section},
            )
            return redirect("academics:section_roster", pk=section.pk)
    query = request.GET.get("q", "").strip()
    shown = (
        candidates.filter(
            Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(admission_number__icontains=query)
        )
        if query
        else candidates
    )
    roster = list(selectors.section_roster(section))
    context = {
        "section": section,
        "roster": roster,
        "active_count": sum(1 for e in roster if e.status == EnrollmentStatus.ACTIVE),
        "other_sections": Section.objects.filter(year_id=section.year_id)
        .exclude(pk=section.pk)
        .order_by("grade_level__order", "name"),
        "form": form,
        "candidates": shown[:CANDIDATES_SHOWN],
        "candidate_count": shown.count(),
        "query": query,
        "ticked": {str(v) for v in request.POST.getlist("students")},
    }
    return render_page(request, "academics/section_roster.html", context, partial="candidates")


def _roster_enrollment(pk, enrollment_pk) -> Enrollment:
    return get_object_or_404(
        Enrollment.objects.select_related("student", "section"), pk=enrollment_pk, section_id=pk
    )


@require_POST
@administrator_required
def enrollment_withdraw(request, pk, enrollment_pk):
    enrollment = _roster_enrollment(pk, enrollment_pk)
    try:
        services.enrollment_withdraw(enrollment=enrollment, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(student)s was withdrawn from %(section)s.")
            % {"student": enrollment.student, "section": enrollment.section},
        )
    return redirect("academics:section_roster", pk=pk)


@require_POST
@administrator_required
def enrollment_move(request, pk, enrollment_pk):
    enrollment = _roster_enrollment(pk, enrollment_pk)
    form = EnrollmentMoveForm(request.POST, enrollment=enrollment)
    if not form.is_valid():
        messages.error(
            request,
            _("Choose another section of the same year to move %(student)s to.")
            % {"student": enrollment.student},
        )
        return redirect("academics:section_roster", pk=pk)
    target = form.cleaned_data["section"]
    try:
        services.enrollment_move(enrollment=enrollment, section=target, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(student)s moved to %(section)s.") % {"student": enrollment.student, "section": target},
        )
    return redirect("academics:section_roster", pk=pk)


# Course offerings


@require_GET
@administrator_required
def offering_list(request):
    year = _chosen_year(request)
    filterset = CourseOfferingFilter(request.GET, queryset=selectors.offerings_for_list(year), year=year)
    table = CourseOfferingTable(filterset.qs)
    table_configure(request, table, per_page=PER_PAGE)
    context = {"filter": filterset, "table": table, "year": year}
    return render_page(request, "academics/offering_list.html", context, partial="results")


@require_http_methods(["GET", "POST"])
@administrator_required
def offering_create(request):
    year = selectors.current_year()
    initial = {key: query_id(request.GET.get(key)) for key in ("section", "subject")}
    form = CourseOfferingForm(_posted(request), year=year, initial=initial)
    url = reverse("academics:offering_list")
    return _form_page(request, form, title=_("New class"), cancel_url=url, success_url=url)


@require_http_methods(["GET", "POST"])
@administrator_required
def offering_edit(request, pk):
    offering = get_object_or_404(CourseOffering, pk=pk)
    form = CourseOfferingForm(_posted(request), instance=offering, year=offering.section.year)
    url = reverse("academics:offering_list")
    title = _("Edit %(name)s") % {"name": offering}
    return _form_page(request, form, title=title, cancel_url=url, success_url=url)


# School calendar


def _month_start(value: str) -> datetime.date:
    """The first day of ?month=YYYY-MM; this month when it is missing, malformed or absurdly far away."""
    try:
        first = datetime.date(*time.strptime(value, "%Y-%m")[:3])  # a calendar month: no instant, no zone
    except ValueError:
        first = None
    if first is None or not 1900 <= first.year <= 2999:
        return timezone.localdate().replace(day=1)
    return first


@require_GET
@administrator_required
def calendar(request):
    first = _month_start(request.GET.get("month", ""))
    previous = (first - datetime.timedelta(days=1)).replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    days = selectors.calendar_month(first)
    context = {
        "month": first,
        "previous": previous,
        "following": following,
        "days": days,
        "closed_count": sum(1 for day in days if day["is_closed"]),
    }
    return render_page(request, "academics/calendar.html", context, partial="month")


def _calendar_url(day: datetime.date) -> str:
    return f"{reverse('academics:calendar')}?month={day:%Y-%m}"


def _event_page(request, form, *, title: str, delete_url: str = ""):
    cancel = _calendar_url(form.instance.start_date or timezone.localdate())
    if request.method == "POST" and form.is_valid():
        event = form.save()
        messages.success(request, _("%(name)s was saved.") % {"name": event})
        return redirect(_calendar_url(event.start_date))
    context = {"form": form, "title": title, "cancel_url": cancel, "delete_url": delete_url}
    return render(request, "academics/form.html", context)


@require_http_methods(["GET", "POST"])
@administrator_required
def event_create(request):
    day = query_date(request.GET.get("date"))
    initial = {"start_date": day, "end_date": day} if day else {}
    form = CalendarEventForm(_posted(request), initial=initial)
    return _event_page(request, form, title=_("New calendar entry"))


@require_http_methods(["GET", "POST"])
@administrator_required
def event_edit(request, pk):
    event = get_object_or_404(CalendarEvent, pk=pk)
    form = CalendarEventForm(_posted(request), instance=event)
    delete_url = reverse("academics:event_delete", args=[event.pk])
    return _event_page(request, form, title=_("Edit %(name)s") % {"name": event}, delete_url=delete_url)


@require_POST
@administrator_required
def event_delete(request, pk):
    event = get_object_or_404(CalendarEvent, pk=pk)
    event.delete()
    messages.success(request, _("%(name)s was removed from the calendar.") % {"name": event})
    return redirect(_calendar_url(event.start_date))
