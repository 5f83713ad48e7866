"""The report builder's pages: the saved reports, building one with its live preview (the same URL answers
htmx with only the preview), saving and sharing, opening a saved report, and its exports."""

from __future__ import annotations

from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from modules.core.access import role_required
from modules.core.concurrency import EditConflict
from modules.core.exports import export_guarded
from modules.core.htmx import render_page
from modules.reports import builder, builder_exports, builder_schedules
from modules.reports.datasets import Dataset, dataset_get, datasets_for, may_build
from modules.reports.forms_builder import BuilderForm, SaveForm, ScheduleForm
from modules.reports.models import ReportSchedule, SavedReport

BUILD_TEMPLATE = "reports/builder/build.html"


def _dataset_for(user, key: str | None) -> Dataset | None:
    dataset = dataset_get(key or "")
    return dataset if dataset is not None and dataset.may_use(user) else None


def _report_for(request, pk: int) -> SavedReport:
    """A saved report this person may open (their own or shared with them), else 404."""
    return get_object_or_404(SavedReport.objects.filter(pk=pk).visible_to(request.user))


def _own_report(request, pk: int) -> SavedReport:
    """A saved report this person may change: only its owner."""
    return get_object_or_404(SavedReport.objects.filter(pk=pk, owner=request.user))


def _definition_initial(definition: builder.Definition) -> dict:
    initial = {
        "columns": definition.columns,
        "group_by": definition.group_by,
        "sort": definition.sort,
        "descending": definition.descending,
        "term": definition.term,
    }
    for index, item in enumerate(definition.filters, start=1):
        if index > builder.MAX_FILTERS:
            break
        initial.update(
            {
                f"filter_{index}_field": item.field,
                f"filter_{index}_op": item.op,
                f"filter_{index}_value": item.value,
            }
        )
    return initial


def _build_page(
    request, *, dataset: Dataset, form: BuilderForm, save_form: SaveForm, report=None, missing=(), status=200
):
    """The builder with its preview (when the form is valid: the first page, or the page asked for)."""
    preview = None
    if form.is_bound and form.is_valid() and form.definition is not None:
        preview = builder.report_page(
            form.definition, request.user, request.GET.get("page"), count=form.groups
        )
    context = {
        "dataset": dataset,
        "datasets": datasets_for(request.user),
        "form": form,
        "save_form": save_form,
        "preview": preview,
        "report": report,
        "missing": missing,
        "max_groups": builder.max_groups(),
    }
    return render_page(request, BUILD_TEMPLATE, context, partial="preview", status=status)


@require_GET
@role_required(may_build)
def builder_list(request):
    reports = SavedReport.objects.visible_to(request.user).select_related("owner").order_by("name", "pk")
    labels = {dataset.key: dataset.label for dataset in datasets_for(request.user)}
    rows = [(report, labels.get(report.dataset)) for report in reports]
    return render_page(
        request, "reports/builder/list.html", {"rows": rows, "datasets": datasets_for(request.user)}
    )


@require_GET
@role_required(may_build)
def builder_new(request):
    """Choose a data set, then its columns, filters, grouping and sorting; the preview follows the form."""
    dataset = _dataset_for(request.user, request.GET.get("dataset"))
    if dataset is None:
        context = {"datasets": datasets_for(request.user), "unknown": bool(request.GET.get("dataset"))}
        return render_page(
            request, "reports/builder/choose.html", context, status=400 if context["unknown"] else 200
        )
    bound = "columns" in request.GET
    form = BuilderForm(request.GET if bound else None, dataset=dataset, user=request.user)
    return _build_page(request, dataset=dataset, form=form, save_form=SaveForm())


@require_POST
@role_required(may_build)
def builder_create(request):
    dataset = _dataset_for(request.user, request.POST.get("dataset"))
    if dataset is None:
        raise Http404
    form = BuilderForm(request.POST, dataset=dataset, user=request.user)
    save_form = SaveForm(request.POST)
    if not (form.is_valid() and save_form.is_valid()) or form.definition is None:
        return _build_page(request, dataset=dataset, form=form, save_form=save_form, status=400)
    report = builder.saved_report_create(
        owner=request.user,
        name=save_form.cleaned_data["name"],
        definition=form.definition,
        share_roles=save_form.cleaned_data["share_roles"],
        share_users=list(save_form.cleaned_data["share_users"]),
    )
    return redirect("reports:builder_run", report.pk)


@require_GET
@role_required(may_build)
def builder_edit(request, pk):
    report = _own_report(request, pk)
    dataset = _dataset_for(request.user, report.dataset)
    if dataset is None:
        raise Http404
    definition, missing = builder.definition_read(dataset, report.definition)
    bound = "columns" in request.GET
    form = BuilderForm(
        request.GET if bound else None,
        dataset=dataset,
        user=request.user,
        initial=_definition_initial(definition),
    )
    if not bound:
        # The saved report previews at once: bind its own definition.
        form = BuilderForm(_as_data(form), dataset=dataset, user=request.user)
    save_form = SaveForm(
        initial={
            "name": report.name,
            "share_roles": list(report.role_shares.values_list("role", flat=True)),
            "share_users": list(report.shared_with.all()),
            "version": report.version,
        }
    )
    return _build_page(
        request, dataset=dataset, form=form, save_form=save_form, report=report, missing=missing
    )


def _as_data(form: BuilderForm) -> QueryDict:
    """An unbound form's initial values as submitted data (so that the saved definition is validated and
    previewed as if it had just been sent)."""
    query = QueryDict(mutable=True)
    for name, field in form.fields.items():
        value = form.get_initial_for_field(field, name)
        if value in (None, "", False):
            continue
        if hasattr(value, "pk"):
            value = value.pk
        if isinstance(value, list | tuple):
            query.setlist(name, [str(item) for item in value])
        else:
            query[name] = "on" if value is True else str(value)
    return query


@require_POST
@role_required(may_build)
def builder_update(request, pk):
    report = _own_report(request, pk)
    dataset = _dataset_for(request.user, report.dataset)
    if dataset is None:
        raise Http404
    form = BuilderForm(request.POST, dataset=dataset, user=request.user)
    save_form = SaveForm(request.POST)
    if not (form.is_valid() and save_form.is_valid()) or form.definition is None:
        return _build_page(
            request, dataset=dataset, form=form, save_form=save_form, report=report, status=400
        )
    try:
        builder.saved_report_update(
            report=report,
            actor=request.user,
            version=save_form.cleaned_data["version"] or 0,
            name=save_form.cleaned_data["name"],
            definition=form.definition,
            share_roles=save_form.cleaned_data["share_roles"],
            share_users=list(save_form.cleaned_data["share_users"]),
        )
    except EditConflict:
        save_form.add_error(
            None,
            _(
                "This report was saved elsewhere since you opened it. Open it again to see that version; "
                "your changes are kept here, not saved."
            ),
        )
        return _build_page(
            request, dataset=dataset, form=form, save_form=save_form, report=report, status=409
        )
    return redirect("reports:builder_run", report.pk)


@require_POST
@role_required(may_build)
def builder_delete(request, pk):
    report = _own_report(request, pk)
    builder.saved_report_delete(report=report, actor=request.user)
    return redirect("reports:builder_list")


def _opened(request, report: SavedReport):
    """The report's data set for this person and its definition read now, or the page refusing it."""
    dataset = _dataset_for(request.user, report.dataset)
    if dataset is None:
        message = _("This report is made from data you may not see, so it cannot be opened for you.")
        context = {"report": report, "refused": message}
        return None, None, render_page(request, "reports/builder/run.html", context, status=403)
    definition, missing = builder.definition_read(dataset, report.definition)
    return definition, missing, None


def _run_page(request, report: SavedReport, *, schedule_form: ScheduleForm | None = None, status: int = 200):
    definition, missing, refusal = _opened(request, report)
    if refusal is not None:
        return refusal
    can_edit = report.owner_id == request.user.pk
    context = {"report": report, "definition": definition, "missing": missing, "can_edit": can_edit}
    if can_edit:
        context["schedule_form"] = schedule_form or ScheduleForm(report=report)
        context["schedules"] = report.schedules.prefetch_related("recipients")
    try:
        context["result"] = builder.report_page(definition, request.user, request.GET.get("page"))
    except builder.DefinitionError as error:
        context["errors"] = error.messages
    return render_page(request, "reports/builder/run.html", context, partial="results", status=status)


@require_GET
@role_required(may_build)
def builder_run(request, pk):
    """The saved report run now, in the scope of whoever opens it, a page at a time."""
    return _run_page(request, _report_for(request, pk))


@require_POST
@role_required(may_build)
def builder_schedule(request, pk):
    """Send the report daily, weekly or monthly to chosen staff (each in their own scope); a recipient who
    may not see its data set is refused by name and nothing is saved."""
    report = _own_report(request, pk)
    form = ScheduleForm(request.POST, report=report)
    if not form.is_valid():
        return _run_page(request, report, schedule_form=form, status=400)
    builder_schedules.report_schedule_create(
        report=report,
        actor=request.user,
        frequency=form.cleaned_data["frequency"],
        recipients=form.cleaned_data["recipients"],
        first_run=form.cleaned_data["first_run"],
    )
    return redirect("reports:builder_run", report.pk)


@require_POST
@role_required(may_build)
def builder_schedule_delete(request, pk, schedule_pk):
    report = _own_report(request, pk)
    schedule = get_object_or_404(ReportSchedule.objects.filter(pk=schedule_pk, report=report))
    builder_schedules.report_schedule_delete(schedule=schedule, actor=request.user)
    return redirect("reports:builder_run", report.pk)


def _format(fmt: str) -> str:
    if fmt not in builder_exports.FORMATS:
        raise Http404
    return fmt


@require_GET
@role_required(may_build)
@export_guarded
def builder_export(request, pk, fmt):
    """The report as a file now; a report of more than EXPORT_AT_ONCE rows offers the background export."""
    report = _report_for(request, pk)
    fmt = _format(fmt)
    definition, _missing, refusal = _opened(request, report)
    if refusal is not None:
        return refusal
    count = builder.report_count(definition, request.user)
    if count > builder.EXPORT_AT_ONCE:
        context = {"report": report, "count": count, "fmt": fmt, "limit": builder.EXPORT_AT_ONCE}
        return render_page(request, "reports/builder/export_large.html", context)
    built = builder_exports.export_build(report=report, definition=definition, user=request.user, fmt=fmt)
    builder_exports.export_log(report=report, actor=request.user, fmt=fmt, rows=count)
    response = HttpResponse(built.content, content_type=built.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{built.filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@role_required(may_build)
@export_guarded
def builder_export_start(request, pk, fmt):
    """Prepare the report's file on the queue; its page shows the progress and the download."""
    report = _report_for(request, pk)
    fmt = _format(fmt)
    _definition, _missing, refusal = _opened(request, report)
    if refusal is not None:
        return refusal
    job = builder_exports.report_export_start(report=report, user=request.user, fmt=fmt)
    return redirect("job_progress", job.pk)
