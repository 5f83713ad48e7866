"""The office's homework policy page: file limits, the similarity flag threshold, an external service."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from modules.accounts.decorators import administrator_required
from modules.assignments.forms_office import HomeworkPolicyForm
from modules.assignments.models import Assignment, HomeworkPolicy
from modules.assignments.policy import homework_policy_update
from modules.core.htmx import render_page


@require_http_methods(["GET", "POST"])
@administrator_required
def policy(request):
    """The school's homework rules. Two people saving at once never overwrite each other silently (the
    form's stale-edit check); the latest failure of an external similarity service is shown."""
    current = HomeworkPolicy.current()
    form = HomeworkPolicyForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        homework_policy_update(changes=form.cleaned_data, by=request.user)
        messages.success(request, _("The homework policy was saved."))
        return redirect("assignments:policy")
    failing = (
        Assignment.objects.exclude(similarity_error="")
        .select_related("offering__section", "offering__subject")
        .order_by("-updated_at")
        .first()
    )
    return render_page(request, "assignments/policy.html", {"form": form, "failing": failing})
