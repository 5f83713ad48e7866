"""The personal calendar feed: the page to make, replace or revoke its address (anyone signed in), and the
feed itself (no login: the token in the address is the key; an unknown or revoked one is 404)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from modules.core.ratelimits import rate_limit_hit, rate_limit_response
from modules.timetable import feeds
from modules.timetable.models import CalendarFeed

# Making addresses writes rows and audit events: far above what anyone replacing theirs does.
FEED_MAKE_RATE = "10/h"


@require_GET
@login_required
def feed_settings(request):
    feed = CalendarFeed.objects.filter(user=request.user).first()
    return render(request, "timetable/feeds/settings.html", {"feed": feed})


@require_POST
@login_required
def feed_make(request):
    """A new address, shown on this answer only (it is not stored): the page says to copy it now."""
    if hit := rate_limit_hit(request, action="timetable_feed_make", rate=FEED_MAKE_RATE):
        return rate_limit_response(request, hit)
    token = feeds.calendar_feed_make(user=request.user)
    address = request.build_absolute_uri(reverse("timetable:feed", args=[token]))
    context = {
        "feed": CalendarFeed.objects.filter(user=request.user).first(),
        "address": address,
        "webcal": "webcal://" + address.split("://", 1)[1],
    }
    response = render(request, "timetable/feeds/settings.html", context)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@require_POST
@login_required
def feed_revoke(request):
    if feeds.calendar_feed_revoke(user=request.user):
        messages.success(
            request, _("Your calendar address no longer works. Calendars subscribed to it stop updating.")
        )
    return redirect("timetable:feed_settings")


@require_safe
def feed(request, token):
    found = feeds.feed_for_token(token)
    if found is None:
        raise Http404
    body, etag = feeds.feed_cached(found)
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponseNotModified()
        response.headers["ETag"] = etag
        return response
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response.headers["ETag"] = etag
    response.headers["Last-Modified"] = http_date()
    response.headers["Cache-Control"] = f"private, max-age={feeds.FEED_CACHE_SECONDS}"
    response.headers["Content-Disposition"] = 'inline; filename="timetable.ics"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
