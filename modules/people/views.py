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

from modules.accounts.decorators import administrator_required
from modules.accounts.services import user_invite
from modules.core.exports import export_refusal
from modules.core.models import AuditEvent, RecordView
from modules.core.ratelimits import rate_limit_hit
from modules.people import services
from modules.people.audit_log import (
    EXPORT_FORMATS,
    AuditEventFilter,
    AuditEventTable,
    RecordViewFilter,
    RecordViewTable,
    audit_export,
    audit_export_refusal,
)
from modules.people.filters import GuardianFilter, StaffFilter
from modules.people.forms import GuardianForm, GuardianLinkForm, StaffForm
from modules.people.models import Guardian, GuardianLink, Staff, Student
from modules.people.pages import invitation_refused, list_page, person_form_page, sends_invitation
from modules.people.tables import GuardianTable, StaffTable


@require_GET
@administrator_required
def guardian_list(request):
    queryset = Guardian.objects.annotate(children_count=Count("student_links")).order_by(
        "last_name", "first_name"
    )
    filterset = GuardianFilter(request.GET, queryset=queryset)
    return list_page(
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
    return list_page(
        request,
        filterset=filterset,
        table_class=StaffTable,
        template="people/person_list.html",
        title=_("Staff"),
        extra={"create_url": reverse("people:staff_create"), "create_label": _("Add a staff member")},
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
            and invitation_refused(request, form)
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
    invites = request.method == "POST" and form.is_valid() and sends_invitation(form, guardian)
    if invites and invitation_refused(request, form):
        return person_form_page(request, form, guardian, "guardian", status=429)
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
    return person_form_page(request, form, guardian, "guardian")


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
    invites = request.method == "POST" and form.is_valid() and sends_invitation(form, staff)
    if invites and invitation_refused(request, form):
        return person_form_page(request, form, staff, "staff", status=429)
    if request.method == "POST" and form.is_valid():
        try:
            staff = services.staff_save(staff=form.save(commit=False), by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(name)s was saved.") % {"name": staff.full_name})
            return redirect("people:staff_detail", pk=staff.pk)
    return person_form_page(request, form, staff, "staff")


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
    """Changes (AuditEvent) or staff views of pupils' records (RecordView), one tab each, same filters; the
    filtered rows as CSV or XLSX (?format=), behind the export guard."""
    show = request.GET.get("show") if request.GET.get("show") in AUDIT_TABS else "changes"
    filter_class, table_class, model = AUDIT_TABS[show]
    filterset = filter_class(request.GET, queryset=model.objects.select_related("actor"))
    file_format = request.GET.get("format")
    export_error = ""
    if file_format in EXPORT_FORMATS and filterset.is_valid():
        export_error = audit_export_refusal(filterset.qs)
        if not export_error:
            filters = {name: str(value) for name, value in filterset.form.cleaned_data.items() if value}
            return export_refusal(request) or audit_export(
                request=request, show=show, queryset=filterset.qs, file_format=file_format, filters=filters
            )
    return list_page(
        request,
        filterset=filterset,
        table_class=table_class,
        template="people/audit_log.html",
        title=_("Audit log"),
        extra={"show": show, "export_error": export_error},
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
    return _photo_response(get_object_or_404(Student.objects.filter(pk=pk).visible_to(request.user)))


@require_GET
@login_required
def staff_photo(request, pk):
    return _photo_response(get_object_or_404(Staff.objects.filter(pk=pk).visible_to(request.user)))
