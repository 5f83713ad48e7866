"""Bulk student import (upload, dry run, confirm) and the student list export."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from modules.academics.selectors import current_year
from modules.accounts.decorators import administrator_required
from modules.core.exports import export_guarded
from modules.core.jobs import job_dispatch_on_commit
from modules.core.models import Job
from modules.core.spreadsheets import xlsx_response
from modules.people import exporting, importing
from modules.people.filters import StudentFilter
from modules.people.importing import IMPORT_COLUMNS, ImportFileError, Phase
from modules.people.models import Relationship
from modules.people.selectors import students_for_list

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
        "runs_in_background": importing.import_runs_in_background(job),
    }
    template = "people/import_detail.html#progress" if request.htmx else "people/import_detail.html"
    response = render(request, template, context)
    response.headers["Vary"] = "HX-Request"
    return response


@require_POST
@administrator_required
def import_confirm(request, pk):
    job = _import_job(request, pk)
    if not importing.import_can_confirm(job):
        if importing.import_phase(job) in (Phase.IMPORTED, Phase.CONFIRMED, Phase.COMMITTING):
            messages.info(request, _("This import was already confirmed; it is not imported twice."))
        else:
            messages.error(request, _("Only a dry run without problems can be imported."))
        return redirect("people:import_detail", pk=job.pk)
    # The write reads the file again, inside its transaction: on the queue too, whatever the file's size.
    importing.student_import_confirm(job=job)  # queues the write after commit
    return redirect("people:import_detail", pk=job.pk)


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
