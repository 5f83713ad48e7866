"""Data requests: a guardian's page (their children, asking, their past requests, the one download) and the
office's list of every request, both at `privacy:requests`."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from modules.accounts.rules import is_administrator, is_guardian
from modules.core.access import role_required
from modules.core.htmx import render_page
from modules.people.models import Student
from modules.privacy import data_requests
from modules.privacy.models import DataRequest, DataRequestStatus
from modules.privacy.rules import may_see_data_requests

OFFICE_PER_PAGE = 50
GUARDIAN_SHOWN = 50


def _own_children(user):
    return Student.objects.filter(guardian_links__guardian__user=user).order_by("first_name", "last_name")


@require_GET
@role_required(may_see_data_requests)
def requests(request):
    """The office: every request with its status (paged). A guardian: their children, each with the button
    to ask, and their own requests (the page refreshes its list while one is being prepared)."""
    if is_administrator(request.user):
        rows = DataRequest.objects.visible_to(request.user).select_related("student", "requested_by", "job")
        page = Paginator(rows, OFFICE_PER_PAGE).get_page(request.GET.get("page"))
        return render_page(request, "privacy/requests_office.html", {"page": page}, partial="results")
    own = list(
        DataRequest.objects.visible_to(request.user)
        .filter(requested_by=request.user)
        .select_related("student", "job")[:GUARDIAN_SHOWN]
    )
    open_for = {row.student_id for row in own if row.is_open}
    children = [(child, child.pk in open_for) for child in _own_children(request.user)]
    context = {
        "children": children,
        "requests": own,
        "preparing": any(row.shown_status == DataRequestStatus.PREPARING for row in own),
        "days": data_requests.days_kept(),
    }
    return render_page(request, "privacy/requests_guardian.html", context, partial="list")


@require_POST
@role_required(is_guardian)
def request_create(request, pk):
    student = get_object_or_404(_own_children(request.user).filter(pk=pk))
    try:
        data_requests.data_request_create(student=student, by=request.user)
    except data_requests.DataRequestRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _("The school is preparing %(name)s's data. This page shows when it is ready to download.")
            % {"name": student.first_name},
        )
    return redirect("privacy:requests")


@require_GET
@role_required(is_guardian)
def request_download(request, pk):
    """The zip, once, for the guardian who asked; afterwards (or once expired) a page saying it is gone."""
    data_request = get_object_or_404(
        DataRequest.objects.filter(pk=pk).visible_to(request.user).filter(requested_by=request.user)
    )
    try:
        download = data_requests.data_request_download(request=data_request, by=request.user)
    except data_requests.DownloadGone:
        data_request.refresh_from_db()
        if data_request.status in {DataRequestStatus.PREPARING, DataRequestStatus.FAILED}:
            raise Http404 from None
        return render(request, "privacy/request_gone.html", {"data_request": data_request}, status=410)
    response = HttpResponse(download.content, content_type="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
