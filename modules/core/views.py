from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponseServerError
from django.shortcuts import get_object_or_404, render
from django.template import loader
from django.views.decorators.http import require_GET

from modules.core.htmx import render_page
from modules.core.models import Job


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # Rendered without a request context: the failure may be the database the context processors use.
    return HttpResponseServerError(loader.get_template("500.html").render())


@require_GET
@login_required
def job_progress(request, pk):
    """A long job's progress; the page polls the `progress` fragment until it is finished."""
    job = get_object_or_404(Job, pk=pk, owner=request.user)
    return render_page(request, "core/job.html", {"job": job}, partial="progress")


@require_GET
@login_required
def job_download(request, pk):
    job = get_object_or_404(Job, pk=pk, owner=request.user)
    if not job.result_file:
        raise Http404
    return FileResponse(job.result_file.open("rb"), as_attachment=True, filename=job.result.get("filename"))
