"""The office's OneRoster page: what the roster holds (year, guardians, demographics), the nightly package,
a package made now (on the queue: its page shows the progress and the download), the packages kept, and how a
platform connects to the rostering service."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from modules.accounts import rules as account_rules
from modules.api.forms import RosterSettingsForm
from modules.api.models import ApiClient, RosterPackage, RosterSettings
from modules.api.oneroster.package import KEEP, KEEP_FOR, NIGHTLY, package_job_start
from modules.api.oneroster.rest import BASE
from modules.api.scopes import ONEROSTER_CORE, ONEROSTER_DEMOGRAPHICS, ONEROSTER_ROSTER
from modules.core.access import role_required
from modules.core.audit import audit_log

SCOPES = [ONEROSTER_ROSTER, ONEROSTER_CORE, ONEROSTER_DEMOGRAPHICS]
# What the audit log records of a change: the form's own fields.
FIELDS = RosterSettingsForm.Meta.fields


def _page(request, form, status: int = 200):
    programs = [
        client
        for client in ApiClient.objects.select_related("owner")
        if client.is_usable and any(scope in client.scopes for scope in SCOPES)
    ]
    context = {
        "form": form,
        "packages": list(RosterPackage.objects.select_related("made_by")[:20]),
        "service_url": request.build_absolute_uri(BASE + "/"),
        "token_url": request.build_absolute_uri(reverse("oauth_token")),
        "programs": programs,
        "scopes": SCOPES,
        "nightly_time": f"{NIGHTLY.hour:02d}:{NIGHTLY.minute:02d}",
        "keep": KEEP,
        "keep_days": KEEP_FOR.days,
    }
    return render(request, "api/oneroster.html", context, status=status)


@require_http_methods(["GET", "POST"])
@role_required(account_rules.is_administrator)
def oneroster(request):
    row = RosterSettings.load()
    if request.method == "GET":
        return _page(request, RosterSettingsForm(instance=row))
    before = {name: str(getattr(row, name)) for name in FIELDS}
    form = RosterSettingsForm(request.POST, instance=row)
    if not form.is_valid():
        return _page(request, form, status=400)
    row = form.save(commit=False)
    row.updated_by = request.user
    row.save()
    after = {name: str(getattr(row, name)) for name in FIELDS}
    audit_log(actor=request.user, action="oneroster.settings", obj=row, before=before, after=after)
    messages.success(request, _("The roster settings are saved: the next package and every call use them."))
    return redirect("api_oneroster:oneroster")


@require_POST
@role_required(account_rules.is_administrator)
def package_now(request):
    job = package_job_start(by=request.user)
    return redirect("job_progress", pk=job.pk)


@require_GET
@role_required(account_rules.is_administrator)
def package_download(request, pk: int):
    package = get_object_or_404(RosterPackage, pk=pk)
    filename = package.file.name.rsplit("/", 1)[-1]
    try:
        opened = package.file.open("rb")
    except FileNotFoundError as missing:  # pruned by another worker a moment ago
        raise Http404 from missing
    return FileResponse(opened, as_attachment=True, filename=filename)
