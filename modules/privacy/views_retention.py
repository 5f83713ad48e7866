"""The retention schedule (administrators): the rule per kind of data and the dry run of what applying it
would do now."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from modules.accounts.decorators import administrator_required
from modules.core.htmx import render_page
from modules.privacy import retention
from modules.privacy.forms import retention_forms

TEMPLATE = "privacy/retention.html"


def _page(request, forms, status=200):
    plan = retention.retention_plan()
    rows = [(form, row) for form, row in zip(forms, plan, strict=True)]
    return render_page(request, TEMPLATE, {"rows": rows}, status=status)


@require_GET
@administrator_required
def retention_schedule(request):
    return _page(request, retention_forms(retention.rules()))


@require_POST
@administrator_required
def retention_save(request):
    forms = retention_forms(retention.rules(), request.POST)
    if not all(form.is_valid() for form in forms):
        return _page(request, forms, status=400)
    retention.retention_rules_save(values={form.kind: form.cleaned_data for form in forms}, by=request.user)
    messages.success(
        request, _("The retention schedule is saved. The dry run below shows what it would do now.")
    )
    return redirect("privacy:retention")
