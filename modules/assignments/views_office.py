"""The office's homework policy page: file limits, the similarity flag threshold, an external service."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from modules.accounts.decorators import administrator_required
from modules.assignments.forms_office import HomeworkPolicyForm
from modules.assignments.models import Assignment, HomeworkPolicy
from modules.assignments.policy import homework_policy_update
from modules.assignments.providers import ProviderError, service_test
from modules.core.htmx import render_page


@require_http_methods(["GET", "POST"])
@administrator_required
def policy(request):
    """The school's homework rules. Two people saving at once never overwrite each other silently (the
    form's stale-edit check); the latest failure of an external similarity service is shown."""
    current = HomeworkPolicy.current()
    service_url = current.similarity_service_url  # as saved (the bound form writes onto the instance)
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
    context = {"form": form, "failing": failing, "service_url": service_url}
    return render_page(request, "assignments/policy.html", context)


@require_POST
@administrator_required
def policy_test(request):
    """Send the school's external similarity service two made-up texts sharing a sentence, and say what
    came back (or why nothing did)."""
    url = HomeworkPolicy.current().similarity_service_url
    if not url:
        messages.info(request, _("No external service is set: the portal's own check is used."))
        return redirect("assignments:policy")
    try:
        comparison = service_test(url=url)
    except ProviderError as error:
        messages.error(request, error.message)
    else:
        if comparison.pairs:
            messages.success(
                request, _("The similarity service answered and found the sentence the two samples share.")
            )
        else:
            messages.warning(
                request,
                _("The similarity service answered, but found nothing in two samples that share a sentence."),
            )
    return redirect("assignments:policy")
