"""The people pages that show a person's place in the school: the student list (with this year's section and
grade), a student's profile (enrolments, guardians), the student form (with this year's section), and a staff
member's page (their classes and homerooms). Served under people/ (`people:` URL names, portal/urls.py); they
live here because they read and write enrolments, a floor above people."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from modules.academics import services
from modules.academics.filters import StudentFilter
from modules.academics.forms import StudentWithSectionForm
from modules.academics.selectors import current_year, student_profile, students_for_list
from modules.accounts import rules
from modules.accounts.decorators import administrator_required
from modules.core.audit import record_view_log
from modules.core.models import RecordViewKind
from modules.people.models import Staff, Student
from modules.people.pages import invitation_refused, list_page, person_form_page, sends_invitation
from modules.people.tables import StudentTable


@require_GET
@administrator_required
def student_list(request):
    year = current_year()
    filterset = StudentFilter(request.GET, queryset=students_for_list(year), year=year)
    return list_page(
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
    form = StudentWithSectionForm(
        request.POST or None, request.FILES or None, instance=student, year=year, initial=initial
    )
    invites = request.method == "POST" and form.is_valid() and sends_invitation(form, student)
    if invites and invitation_refused(request, form):
        return person_form_page(request, form, student, "student", status=429)
    if request.method == "POST" and form.is_valid():
        try:
            student = services.student_save_enrolled(
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
    return person_form_page(request, form, student, "student")


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
