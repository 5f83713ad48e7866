"""The role home pages: what a person sees at `/` for the role they are acting in (accounts' role switch).

The top floor under tasks/: a home gathers from every module, so no module below imports it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from modules.academics import selectors as academics
from modules.accounts.models import Role
from modules.accounts.roles import active_role
from modules.attendance import services as attendance_services
from modules.attendance.models import AttendancePolicy
from modules.communications.announcements import announcements_for_home
from modules.fees import reports as fees_reports
from modules.home import selectors


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
        context.update(selectors.administrator_overview(today=today, year=year))
        return render(request, "home/administrator.html", context)
    if role == Role.TEACHER:
        return _teacher_home(request, context)
    if role == Role.GUARDIAN:
        context["children"] = selectors.guardian_children_with_balances(user=request.user, year=year)
        return render(request, "home/guardian.html", context)
    if role == Role.STUDENT:
        context.update(selectors.student_overview(student=request.user.student_profile, year=year))
        return render(request, "home/student.html", context)
    if role == Role.BURSAR:
        context["fees"] = fees_reports.dashboard(today)
        return render(request, "home/bursar.html", context)
    return render(request, "home/no_role.html", context)


def _teacher_home(request, context):
    today, year = context["today"], context["year"]
    closure = academics.closure_on(today)
    registers = []
    lessons = []
    if not closure:
        lessons = selectors.teacher_lessons(user=request.user, day=today, closed=False)
        # Today's registers exist from the first time their teacher looks (none on weekends and closures).
        policy = AttendancePolicy.load()
        registers = attendance_services.registers_expected(
            day=today, policy=policy, teacher=request.user, closed=today.weekday() >= 5, lessons=lessons
        )
    context.update(
        closure=closure,
        registers=registers,
        lessons=selectors.lessons_with_registers(lessons, registers),
        sections=selectors.teacher_sections_with_classes(user=request.user, year=year),
    )
    return render(request, "home/teacher.html", context)
