"""Bulk student import (upload, dry run, confirm, rejected rows), the student list export, and inviting
guardians without a login in bulk."""

from __future__ import annotations

import io

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from modules.academics import importing, invites
from modules.academics.filters import StudentFilter
from modules.academics.importing import IMPORT_COLUMNS, ImportFileError, Phase
from modules.academics.selectors import current_year, students_for_list
from modules.accounts.decorators import administrator_required
from modules.core.exports import export_guarded
from modules.core.htmx import render_page
from modules.core.jobs import job_dispatch_on_commit
from modules.core.models import Job
from modules.core.ratelimits import rate_limit_hit
from modules.core.spreadsheets import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, xlsx_response
from modules.people import exporting
from modules.people.models import Relationship

ROWS_PER_PAGE = 100
MAX_ERRORS_LISTED = 200


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet with students and guardians"),
        widget=forms.FileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "An Excel workbook (.xlsx) or a CSV file in UTF-8 (separated by commas or semicolons), "
            "at most %(size)s and %(rows)s rows."
        ) % {
            "size": filesizeformat(settings.STUDENTFLOW_IMPORT_MAX_BYTES),
            "rows": intcomma(settings.STUDENTFLOW_IMPORT_MAX_ROWS),
        }


def _import_job(request, pk) -> Job:
    return get_object_or_404(Job, pk=pk, owner=request.user, kind=importing.IMPORT_KIND)


@require_http_methods(["GET", "POST"])
@administrator_required
def import_start(request):
    form = ImportUploadForm(request.POST, request.FILES) if request.method == "POST" else ImportUploadForm()
    if request.method == "POST" and form.is_valid():
        try:
            job = importing.import_job_create(owner=request.user, upload=form.cleaned_data["file"])
        except ImportFileError as error:
            form.add_error("file", error.message)
        else:
            # Even a small file is read on the queue, never in the web worker: only parsing would meet what a
            # workbook can hide past the cheap checks (core/spreadsheets.py); the page polls either way.
            job_dispatch_on_commit(job)
            return redirect("people:import_detail", pk=job.pk)
    recent = Job.objects.filter(owner=request.user, kind=importing.IMPORT_KIND).order_by("-created_at")[:5]
    context = {
        "form": form,
        "columns": IMPORT_COLUMNS,
        "recent": recent,
    }
    return render(request, "people/import_start.html", context)


@require_GET
@administrator_required
def import_template(request):
    headers = [column.name for column in IMPORT_COLUMNS]
    help_rows = [
        [column.name, _("yes") if column.required else _("no"), str(column.help)] for column in IMPORT_COLUMNS
    ]
    return xlsx_response(
        "student-import-template.xlsx",
        headers,
        [[column.example for column in IMPORT_COLUMNS]],
        sheet_title=_("Students"),
        extra_sheets=[(_("Help"), [_("Column"), _("Required"), _("What to write")], help_rows)],
    )


@require_GET
@administrator_required
def import_detail(request, pk):
    job = _import_job(request, pk)
    phase = importing.import_phase(job)
    in_progress = phase in Phase.IN_PROGRESS
    if request.htmx and not in_progress:
        # The dry run or the write just finished: load the whole page with its results.
        return HttpResponseClientRefresh()
    result = job.result or {}
    rows = result.get("rows", [])
    if request.GET.get("problems"):
        rows = [row for row in rows if row["errors"]]
    errors = result.get("file_errors", []) + [
        error for row in result.get("rows", []) for error in row["errors"]
    ]
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    relationships = dict(Relationship.choices)
    for row in page.object_list:
        for guardian in row["guardians"]:
            guardian["relationship_label"] = relationships.get(
                guardian["relationship"], guardian["relationship"]
            )
    context = {
        "job": job,
        "phase": phase,
        "in_progress": in_progress,
        "result": result,
        "page": page,
        "only_problems": bool(request.GET.get("problems")),
        "errors": errors[:MAX_ERRORS_LISTED],
        "more_errors": max(0, len(errors) - MAX_ERRORS_LISTED),
        "can_confirm": importing.import_can_confirm(job),
        "can_confirm_valid": importing.import_can_confirm_valid(job),
        "rejected_formats": [
            name for name in ("xlsx", "csv") if (job.payload.get("rejected") or {}).get(name)
        ],
        "runs_in_background": importing.import_runs_in_background(job),
    }
    return render_page(request, "people/import_detail.html", context, partial="progress")


@require_POST
@administrator_required
def import_confirm(request, pk):
    """Confirm a clean dry run (every row), or with `valid_digest` the valid rows of one that rejected some.
    The write reads the file again, inside its transaction, on the queue (queued after commit)."""
    job = _import_job(request, pk)
    valid_digest = request.POST.get("valid_digest") or None
    if importing.import_phase(job) in (Phase.IMPORTED, Phase.CONFIRMED, Phase.COMMITTING):
        messages.info(request, _("This import was already confirmed; it is not imported twice."))
    elif not importing.student_import_confirm(job=job, valid_digest=valid_digest):
        messages.error(request, _confirm_refusal(job, valid_digest))
    return redirect("people:import_detail", pk=job.pk)


def _confirm_refusal(job, valid_digest: str | None) -> str:
    if valid_digest is None:
        return _("Only a dry run without problems can be imported.")
    if importing.import_can_confirm_valid(job):
        return _("The dry run changed since this page was shown. Check the rows below and choose again.")
    return _("There are no valid rows to import.")


@require_GET
@administrator_required
def import_rejected(request, pk, file_format):
    """The rejected rows as uploaded, with a Reason column: to correct and upload again as they are."""
    job = _import_job(request, pk)
    found = importing.import_rejected_file(job, file_format)
    if found is None:
        raise Http404
    filename, content = found
    content_type = XLSX_CONTENT_TYPE if file_format == "xlsx" else CSV_CONTENT_TYPE
    response = FileResponse(
        io.BytesIO(content), as_attachment=True, filename=filename, content_type=content_type
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@administrator_required
@export_guarded
def student_export(request):
    year = current_year()
    filterset = StudentFilter(request.GET, queryset=students_for_list(year), year=year)
    filters = {name: request.GET[name] for name in filterset.filters if request.GET.get(name)}
    headers, rows = exporting.student_export(by=request.user, queryset=filterset.qs, filters=filters)
    filename = f"students-{timezone.localdate():%Y-%m-%d}.xlsx"
    return xlsx_response(filename, headers, rows, sheet_title=_("Students"))


# ----------------------------------------------------------------------------------------------------
# Inviting guardians without a login, in bulk (modules/academics/invites.py)


class GuardianInviteForm(forms.Form):
    audience = forms.ChoiceField(label=gettext_lazy("Guardians of"))
    # The number of guardians the office saw: a confirmation of other numbers is refused.
    expected = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, year, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year
        self.fields["audience"].choices = invites.audience_choices(year) if year else []

    def clean_audience(self):
        audience = invites.audience_from_key(self.cleaned_data["audience"], self.year)
        if audience is None:
            raise forms.ValidationError(_("Choose the whole school, a grade level or a section."))
        return audience


@require_http_methods(["GET", "POST"])
@administrator_required
def guardian_invite(request):
    """Choose an audience, see who would be invited (and who has no email address), confirm: a job sends the
    invitations on the queue and its page shows the progress."""
    year = current_year()
    data = request.POST if request.method == "POST" else (request.GET if "audience" in request.GET else None)
    form = GuardianInviteForm(data, year=year)
    plan, status = None, 200
    if form.is_bound and form.is_valid():
        audience = form.cleaned_data["audience"]
        if request.method == "POST":
            job, status = _guardian_invite_start(request, form, audience)
            if job is not None:
                return redirect("job_progress", pk=job.pk)
        plan = invites.invite_plan(audience)
    context = {"form": form, "plan": plan, "year": year, "validity_days": invites.validity_days()}
    return render(request, "people/guardian_invite.html", context, status=status)


def _guardian_invite_start(request, form, audience) -> tuple[Job | None, int]:
    """The job, or None with the refusal added to the form (and the status to answer with)."""
    expected = form.cleaned_data.get("expected")
    if expected is None:
        form.add_error(None, _("Check the numbers below, then confirm."))
        return None, 200
    rate = settings.STUDENTFLOW_RATE_LIMITS.get("bulk_invitation", invites.INVITE_RATE)
    if hit := rate_limit_hit(request, action="bulk_invitation", rate=rate):
        form.add_error(None, hit.message)
        return None, 429
    try:
        return invites.guardian_invite_start(audience=audience, by=request.user, expected=expected), 200
    except invites.InviteRefused as refusal:
        form.add_error(None, refusal.message)
        return None, 200
