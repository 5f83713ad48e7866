from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from modules.academics.selectors import current_year
from modules.accounts import rules
from modules.accounts.decorators import administrator_required
from modules.accounts.services import user_invite
from modules.core.audit import record_view_log
from modules.core.htmx import render_page
from modules.core.models import AuditEvent, RecordView, RecordViewKind
from modules.core.params import table_configure
from modules.core.ratelimits import rate_limit_hit
from modules.people import services
from modules.people.audit_log import AuditEventFilter, AuditEventTable, RecordViewFilter, RecordViewTable
from modules.people.filters import GuardianFilter, StaffFilter, StudentFilter
from modules.people.forms import GuardianForm, GuardianLinkForm, StaffForm, StudentForm
from modules.people.models import Guardian, GuardianLink, Staff, Student
from modules.people.selectors import student_profile, students_for_list
from modules.people.tables import GuardianTable, StaffTable, StudentTable

PER_PAGE = 25


def _list_page(request, *, filterset, table_class, template, title, extra=None):
    table = table_class(filterset.qs)
    table_configure(request, table, per_page=PER_PAGE)
    context = {"filter": filterset, "table": table, "title": title, **(extra or {})}
    return render_page(request, template, context, partial="results")


@require_GET
@administrator_required
def student_list(request):
    year = current_year()
    filterset = StudentFilter(request.GET, queryset=students_for_list(year), year=year)
    return _list_page(
        request,
        filterset=filterset,
        table_class=StudentTable,
        template="people/person_list.html",
        title=_("Students"),
        extra={
            "year": year,
            "create_url": reverse("people:student_create"),
            "create_label": _("Add a student"),
            "export_url": reverse("people:student_export"),
            "import_url": reverse("people:import_start"),
        },
    )


@require_GET
@administrator_required
def guardian_list(request):
    queryset = Guardian.objects.annotate(children_count=Count("student_links")).order_by(
        "last_name", "first_name"
    )
    filterset = GuardianFilter(request.GET, queryset=queryset)
    return _list_page(
        request,
        filterset=filterset,
        table_class=GuardianTable,
        template="people/person_list.html",
        title=_("Guardians"),
        extra={
            "create_url": reverse("people:guardian_create"),
            "create_label": _("Add a guardian"),
            "invite_url": reverse("people:guardian_invite"),
        },
    )


@require_GET
@administrator_required
def staff_list(request):
    filterset = StaffFilter(request.GET, queryset=Staff.objects.order_by("last_name", "first_name"))
    return _list_page(
        request,
        filterset=filterset,
        table_class=StaffTable,
        template="people/person_list.html",
        title=_("Staff"),
        extra={"create_url": reverse("people:staff_create"), "create_label": _("Add a staff member")},
    )


@require_GET
@login_required
def student_detail(request, pk):
    student = get_object_or_404(Student.objects.visible_to(request.user).select_related("user"), pk=pk)
    if rules.is_staff_member(request.user):
        record_view_log(actor=request.user, obj=student, kind=RecordViewKind.RECORD)
    year = current_year()
    is_admin = rules.is_administrator(request.user)
    context = {
        "student": student,
        "year": year,
        "can_edit": is_admin,
        "can_see_health": is_admin,
        **student_profile(student, year),
    }
    return render(request, "people/student_detail.html", context)


@require_http_methods(["GET", "POST"])
@administrator_required
def student_create(request):
    return _student_form(request, Student())


@require_http_methods(["GET", "POST"])
@administrator_required
def student_edit(request, pk):
    return _student_form(request, get_object_or_404(Student, pk=pk))


def _student_form(request, student):
    year = current_year()
    initial = {}
    if student.pk and year:
        enrollment = student.enrollments.filter(year=year).first()
        initial["section"] = enrollment.section_id if enrollment else None
    form = StudentForm(
        request.POST or None, request.FILES or None, instance=student, year=year, initial=initial
    )
    invites = request.method == "POST" and form.is_valid() and _sends_invitation(form, student)
    if invites and _invitation_refused(request, form):
        return _person_form_page(request, form, student, "student", status=429)
    if request.method == "POST" and form.is_valid():
        try:
            student = services.student_save(
                student=form.save(commit=False),
                by=request.user,
                section=form.cleaned_data.get("section"),
                create_login=form.cleaned_data.get("create_login", False),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(name)s was saved.") % {"name": student.full_name})
            return redirect("people:student_detail", pk=student.pk)
    return _person_form_page(request, form, student, "student")


def _sends_invitation(form, person) -> bool:
    """Whether saving this valid form creates a login, which emails an invitation."""
    if person.user_id is not None or not form.cleaned_data.get("email"):
        return False
    return isinstance(person, Staff) or bool(form.cleaned_data.get("create_login"))


def _invitation_refused(request, form) -> bool:
    """Every new login emails someone an invitation, so creating them counts against the invitation limit
    (as resending does); past it the form says so and nothing is saved."""
    hit = rate_limit_hit(request, action="invitation")
    if hit is not None:
        form.add_error(None, hit.message)
    return hit is not None


def _person_form_page(request, form, person, kind, status=200):
    return render(
        request, "people/person_form.html", {"form": form, "object": person, "kind": kind}, status=status
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def guardian_link_add(request, pk):
    student = get_object_or_404(Student, pk=pk)
    form = GuardianLinkForm(request.POST or None, student=student)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if (
            form.guardian is None
            and data["create_login"]
            and data["email"]
            and _invitation_refused(request, form)
        ):
            context = {"form": form, "student": student}
            return render(request, "people/guardian_link_form.html", context, status=429)
        guardian = form.guardian or Guardian(
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            phone=data["phone"],
        )
        try:
            if guardian.pk is None:
                guardian = services.guardian_save(
                    guardian=guardian, by=request.user, create_login=data["create_login"]
                )
            services.guardian_link_create(
                student=student,
                guardian=guardian,
                relationship=data["relationship"],
                is_primary=data["is_primary"],
                receives_notifications=data["receives_notifications"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(guardian)s is now linked to %(student)s.") % {"guardian": guardian, "student": student},
            )
            return redirect("people:student_detail", pk=student.pk)
    return render(request, "people/guardian_link_form.html", {"form": form, "student": student})


@require_POST
@administrator_required
def guardian_link_remove(request, pk, link_pk):
    link = get_object_or_404(
        GuardianLink.objects.select_related("guardian", "student"), pk=link_pk, student_id=pk
    )
    services.guardian_link_delete(link=link, by=request.user)
    messages.success(
        request,
        _("%(guardian)s is no longer linked to %(student)s.")
        % {"guardian": link.guardian, "student": link.student},
    )
    return redirect("people:student_detail", pk=pk)


@require_GET
@administrator_required
def guardian_detail(request, pk):
    guardian = get_object_or_404(Guardian.objects.select_related("user"), pk=pk)
    links = guardian.student_links.select_related("student").order_by("student__first_name")
    return render(
        request, "people/guardian_detail.html", {"guardian": guardian, "links": links, "can_edit": True}
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def guardian_create(request):
    return _guardian_form(request, Guardian())


@require_http_methods(["GET", "POST"])
@administrator_required
def guardian_edit(request, pk):
    return _guardian_form(request, get_object_or_404(Guardian, pk=pk))


def _guardian_form(request, guardian):
    form = GuardianForm(request.POST or None, instance=guardian)
    invites = request.method == "POST" and form.is_valid() and _sends_invitation(form, guardian)
    if invites and _invitation_refused(request, form):
        return _person_form_page(request, form, guardian, "guardian", status=429)
    if request.method == "POST" and form.is_valid():
        try:
            guardian = services.guardian_save(
                guardian=form.save(commit=False),
                by=request.user,
                create_login=form.cleaned_data.get("create_login", False),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(name)s was saved.") % {"name": guardian.full_name})
            return redirect("people:guardian_detail", pk=guardian.pk)
    return _person_form_page(request, form, guardian, "guardian")


@require_GET
@administrator_required
def staff_detail(request, pk):
    staff = get_object_or_404(Staff.objects.select_related("user"), pk=pk)
    year = current_year()
    offerings = (
        staff.offerings.filter(section__year=year).select_related("subject", "section") if year else []
    )
    homerooms = staff.homeroom_sections.filter(year=year) if year else []
    context = {"staff": staff, "offerings": offerings, "homerooms": homerooms, "can_edit": True}
    return render(request, "people/staff_detail.html", context)


@require_http_methods(["GET", "POST"])
@administrator_required
def staff_create(request):
    return _staff_form(request, Staff())


@require_http_methods(["GET", "POST"])
@administrator_required
def staff_edit(request, pk):
    return _staff_form(request, get_object_or_404(Staff.objects.select_related("user"), pk=pk))


def _staff_form(request, staff):
    form = StaffForm(request.POST or None, request.FILES or None, instance=staff)
    invites = request.method == "POST" and form.is_valid() and _sends_invitation(form, staff)
    if invites and _invitation_refused(request, form):
        return _person_form_page(request, form, staff, "staff", status=429)
    if request.method == "POST" and form.is_valid():
        try:
            staff = services.staff_save(staff=form.save(commit=False), by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(name)s was saved.") % {"name": staff.full_name})
            return redirect("people:staff_detail", pk=staff.pk)
    return _person_form_page(request, form, staff, "staff")


PERSON_MODELS = {"student": Student, "guardian": Guardian, "staff": Staff}
PERSON_DETAIL = {
    "student": "people:student_detail",
    "guardian": "people:guardian_detail",
    "staff": "people:staff_detail",
}


@require_POST
@administrator_required
def person_invite(request, kind, pk):
    """(Re)send the invitation email with a set-password link to a person's login."""
    if kind not in PERSON_MODELS:
        raise Http404
    person = get_object_or_404(PERSON_MODELS[kind].objects.select_related("user"), pk=pk)
    if person.user is None:
        messages.error(
            request, _("%(name)s has no login yet. Edit them to create one.") % {"name": person.full_name}
        )
    elif person.user.has_usable_password():
        messages.info(request, _("%(name)s has already set a password.") % {"name": person.full_name})
    elif hit := rate_limit_hit(request, action="invitation"):
        messages.error(request, hit.message)
    else:
        user_invite(user=person.user)
        messages.success(request, _("An invitation was sent to %(email)s.") % {"email": person.user.email})
    return redirect(PERSON_DETAIL[kind], pk=pk)


AUDIT_TABS = {
    "changes": (AuditEventFilter, AuditEventTable, AuditEvent),
    "views": (RecordViewFilter, RecordViewTable, RecordView),
}


@require_GET
@administrator_required
def audit_log(request):
    """Changes (AuditEvent) or staff views of pupils' records (RecordView), one tab each, same filters."""
    show = request.GET.get("show") if request.GET.get("show") in AUDIT_TABS else "changes"
    filter_class, table_class, model = AUDIT_TABS[show]
    filterset = filter_class(request.GET, queryset=model.objects.select_related("actor"))
    return _list_page(
        request,
        filterset=filterset,
        table_class=table_class,
        template="people/audit_log.html",
        title=_("Audit log"),
        extra={"show": show},
    )


def _photo_response(person):
    if not person.photo:
        raise Http404
    content_type = mimetypes.guess_type(person.photo.name)[0] or "application/octet-stream"
    response = FileResponse(person.photo.open("rb"), content_type=content_type)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@login_required
def student_photo(request, pk):
    return _photo_response(get_object_or_404(Student.objects.visible_to(request.user), pk=pk))


@require_GET
@login_required
def staff_photo(request, pk):
    return _photo_response(get_object_or_404(Staff.objects.visible_to(request.user), pk=pk))
