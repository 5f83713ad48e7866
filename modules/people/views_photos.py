"""Photo thumbnails (modules/people/thumbnails.py), served to whoever may see the photo itself.

Access is the photo view's: the student or staff member fetched through `visible_to`, else 404. The URL
carries the thumbnail's version (`?v=`, see `photos.photo_thumbnail_url`), so the browser may keep it a year
(`Cache-Control: private`, never in a shared cache) and a new photo is a new URL; the ETag is the same
version, and a browser that asks again with it gets 304 without the file being opened.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_GET

from modules.people.models import Staff, Student
from modules.people.thumbnails import THUMBNAIL_CONTENT_TYPE, thumbnail_version

ONE_YEAR = 365 * 24 * 60 * 60


def _thumbnail_response(request, person):
    if not person.photo_thumb:
        raise Http404
    version = thumbnail_version(person.photo_thumb.name)
    # Kept a year only under the URL of this version; an old URL still answers (the current thumbnail) but
    # is checked again each time.
    fresh = request.GET.get("v") == version
    headers = {
        "ETag": f'"{version}"',
        "Cache-Control": f"private, max-age={ONE_YEAR}, immutable" if fresh else "private, no-cache",
        "X-Content-Type-Options": "nosniff",
    }
    response: HttpResponseBase | None = get_conditional_response(request, etag=headers["ETag"])
    if response is None:
        response = FileResponse(person.photo_thumb.open("rb"), content_type=THUMBNAIL_CONTENT_TYPE)
    for name, value in headers.items():
        response.headers[name] = value
    return response


@require_GET
@login_required
def student_photo_thumbnail(request, pk):
    # The student first, then the access check: `visible_to` filters by a subquery, which SQLite otherwise
    # evaluates for every student the teacher could see (~15 ms on the large school, once per thumbnail).
    return _thumbnail_response(
        request, get_object_or_404(Student.objects.filter(pk=pk).visible_to(request.user))
    )


@require_GET
@login_required
def staff_photo_thumbnail(request, pk):
    return _thumbnail_response(
        request, get_object_or_404(Staff.objects.filter(pk=pk).visible_to(request.user))
    )
