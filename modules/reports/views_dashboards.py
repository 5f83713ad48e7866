"""The role dashboards: one entry (/reports/) that shows the dashboard of the role the person is acting in,
and a child's page for a family. Every figure is computed in dashboards.py by the selector of the page it
summarises; each chart links to that page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from modules.academics.selectors import current_year
from modules.accounts.models import Role
from modules.accounts.roles import active_role
from modules.people.selectors import family_students
from modules.reports import dashboards


@require_GET
@login_required
def dashboard(request):
    role = active_role(request)
    today = timezone.localdate()
    year = current_year()
    context = {"role": role, "today": today, "year": year}
    if role == Role.ADMINISTRATOR:
        context["panels"] = dashboards.administrator_dashboard(today=today, year=year)
        return render(request, "reports/dashboards/administrator.html", context)
    if role == Role.BURSAR:
        context["panels"] = dashboards.bursar_dashboard(today=today)
        return render(request, "reports/dashboards/bursar.html", context)
    if role == Role.TEACHER:
        context["board"] = dashboards.teacher_dashboard(user=request.user, today=today, year=year)
        return render(request, "reports/dashboards/teacher.html", context)
    if role in (Role.GUARDIAN, Role.STUDENT):
        students = family_students(request.user)
        if role == Role.STUDENT:
            students = students.filter(user=request.user)
        else:
            students = students.filter(guardian_links__guardian__user=request.user)
        context["children"] = dashboards.child_dashboards(
            user=request.user,
            students=list(students.order_by("last_name", "first_name")),
            today=today,
            year=year,
        )
        return render(request, "reports/dashboards/family.html", context)
    return render(request, "reports/dashboards/no_role.html", context)


@require_GET
@login_required
def child(request, pk):
    """One child's dashboard: their guardians and the student themself; anyone else 404."""
    student = family_students(request.user).filter(pk=pk).first()
    if student is None:
        raise Http404
    (child,) = dashboards.child_dashboards(
        user=request.user, students=[student], today=timezone.localdate(), year=current_year()
    )
    context = {"child": child}
    return render(request, "reports/dashboards/child.html", context)
