from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from modules.academics import selectors as academics
from modules.academics.models import CourseOffering, EnrollmentStatus, Section
from modules.accounts.models import Role
from modules.accounts.roles import active_role, set_active_role
from modules.attendance import services as attendance_services
from modules.attendance.models import AttendancePolicy
from modules.communications.announcements import announcements_for_home
from modules.fees import reports as fees_reports
from modules.fees.ledger import balances as fee_balances
from modules.fees.models import FeePolicy
from modules.people.models import Staff, Student
from modules.people.selectors import guardian_children


@login_required
def home(request):
    role = active_role(request)
    today = timezone.localdate()
    year = academics.current_year()
    context = {
        "today": today,
        "year": year,
        "role": role,
        "home_announcements": announcements_for_home(request.user),
    }
    if role == Role.ADMINISTRATOR:
        return _administrator_home(request, context)
    if role == Role.TEACHER:
        return _teacher_home(request, context)
    if role == Role.GUARDIAN:
        children = list(guardian_children(request.user, year))
        balances = fee_balances([child.pk for child in children])
        for child in children:
            child.fee_due = balances[child.pk].due
        context["children"] = children
        return render(request, "accounts/home_guardian.html", context)
    if role == Role.STUDENT:
        return _student_home(request, context)
    if role == Role.BURSAR:
        context["fees"] = fees_reports.dashboard(today)
        return render(request, "accounts/home_bursar.html", context)
    return render(request, "accounts/home_no_role.html", context)


def _administrator_home(request, context):
    year = context["year"]
    context.update(
        term=academics.current_term(year, context["today"]),
        student_count=Student.objects.active().count(),
        section_count=Section.objects.filter(year=year).count() if year else 0,
        staff_count=Staff.objects.filter(is_active=True).count(),
        unenrolled_count=Student.objects.active().exclude(enrollments__year=year).count() if year else 0,
        closure=academics.closure_on(context["today"]),
    )
    return render(request, "accounts/home_administrator.html", context)


def _teacher_home(request, context):
    today, year = context["today"], context["year"]
    closure = academics.closure_on(today)
    registers = []
    if not closure:
        # Today's registers exist from the first time their teacher looks (none on weekends and closures).
        policy = AttendancePolicy.load()
        registers = attendance_services.registers_expected(
            day=today, policy=policy, teacher=request.user, closed=today.weekday() >= 5
        )
    lessons = [] if closure else list(academics.teacher_lessons_on(request.user, today))
    # Each lesson opens its register (per-lesson registers) or else its class's gradebook.
    lesson_registers = {(r.offering_id, r.period_id): r for r in registers if r.offering_id}
    for lesson in lessons:
        lesson.register = lesson_registers.get((lesson.offering_id, lesson.period_id))
    sections = list(academics.teacher_sections(request.user, year))
    # Each section lists what the teacher can open there: its attendance (homeroom) and their classes.
    classes = {}
    for offering in CourseOffering.objects.filter(
        teacher__user=request.user, section__in=[s.pk for s in sections]
    ).select_related("subject"):
        classes.setdefault(offering.section_id, []).append(offering)
    for section in sections:
        section.my_classes = sorted(classes.get(section.pk, []), key=lambda o: o.subject.name)
        homeroom = section.homeroom_teacher
        section.is_homeroom = bool(homeroom and homeroom.user_id == request.user.pk)
    context.update(closure=closure, registers=registers, lessons=lessons, sections=sections)
    return render(request, "accounts/home_teacher.html", context)


def _student_home(request, context):
    student = request.user.student_profile
    year = context["year"]
    enrollment = academics.current_enrollment(student, year)
    context.update(
        student=student,
        enrollment=enrollment,
        offerings=list(academics.student_offerings(student, year)) if enrollment else [],
        classmates=(
            enrollment.section.enrollments.filter(status=EnrollmentStatus.ACTIVE).count() if enrollment else 0
        ),
        # Students see no invoices or payments; only what is owed, and only if the school allows it.
        fee_balance=(
            fee_balances([student.pk])[student.pk] if FeePolicy.load().students_see_balance else None
        ),
    )
    return render(request, "accounts/home_student.html", context)


@require_POST
@login_required
def switch_role(request):
    role = request.POST.get("role", "")
    if set_active_role(request, role):
        messages.success(
            request, _("You are now using the portal as: %(role)s.") % {"role": Role(role).label}
        )
    else:
        messages.error(request, _("You do not hold that role."))
    return redirect("home")


@require_POST
def set_language(request):
    """Language switcher for everyone; a signed-in user's choice is saved to their account."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language not in dict(settings.LANGUAGES):
        messages.error(request, _("That language is not available."))
        return response
    if request.user.is_authenticated:
        request.user.language = language
        request.user.save(update_fields=["language"])
    translation.activate(language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


def _safe_next(request, default: str) -> str:
    next_url = request.GET.get("next") or request.POST.get("next") or default
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return default
    return next_url


def admin_login(request, extra_context=None):
    """Replaces the Django admin's own login form: there is one way in, allauth's, with its MFA stage and
    its failed-login throttle. A signed-in user without admin access gets a 403 (sending them back to the
    sign-in page would loop: it forwards signed-in users to `next`)."""
    next_url = _safe_next(request, reverse("admin:index"))
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return redirect(next_url)
        raise PermissionDenied
    return redirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")


def admin_logout(request, extra_context=None):
    """The Django admin's sign-out goes through allauth's (which asks to confirm on GET)."""
    return redirect("account_logout")


def admin_password_change(request, extra_context=None):
    """The Django admin's own password form would be a second, unthrottled and unaudited way to change a
    password: it goes to allauth's."""
    return redirect("account_change_password")


@require_GET
@login_required
def email_address(request):
    """Replaces allauth's email management page: the address a person signs in with is shown, not changed.

    Letting people add addresses is how one account took over another's (add their address, make it
    primary, and their password resets came here). The office changes a login's address in the people
    pages (accounts.services.login_email_change), where it cannot collide with another login's.
    """
    return render(request, "account/email.html")
