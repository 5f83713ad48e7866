from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from modules.communications.kinds import kinds_all
from modules.communications.models import Notification
from modules.communications.notifications import bell_state, preference_rows, preferences_save
from modules.communications.services import notifications_mark_read
from modules.communications.sms import sms_enabled
from modules.core.htmx import render_page

PER_PAGE = 25


@require_GET
@login_required
def notification_bell(request):
    """Polled by the bell every few seconds: 204 (no swap) while nothing changed, else the new bell."""
    state = bell_state(request.user)
    if request.GET.get("seen") == state.token:
        response = HttpResponse(status=204)
    else:
        context = {"state": state, "poll_seconds": settings.STUDENTFLOW_BELL_POLL_SECONDS}
        response = render(request, "communications/notifications/_bell_link.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response


@require_GET
@login_required
def notification_list(request):
    notifications = Notification.objects.for_user(request.user).only(
        "pk", "kind", "title", "body", "created_at", "read_at", "url"
    )
    page = Paginator(notifications, PER_PAGE).get_page(request.GET.get("page"))
    state = bell_state(request.user)
    # The navigation's bell reads the same state (`bell_state` in the context) instead of asking again.
    context = {"page": page, "state": state, "bell_state": state}
    return render_page(request, "communications/notifications/list.html", context, partial="items")


@require_POST
@login_required
def notification_mark_read(request):
    """Mark one notification (`id`) or all of them read."""
    ids = None
    if request.POST.get("id", "").isdigit():
        ids = [int(request.POST["id"])]
    changed = notifications_mark_read(user=request.user, ids=ids)
    if ids is None:
        messages.success(request, _("All notifications are marked as read."))
    elif not changed:
        messages.info(request, _("That notification was already read."))
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    return redirect(next_url or "communications:notification_list")


@require_GET
@login_required
def notification_open(request, pk):
    """Follow a notification: it is read, and the person lands on what it is about."""
    notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk).update(read_at=timezone.now())
    target = notification.url if url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None) else ""
    return redirect(target or "communications:notification_list")


@require_http_methods(["GET", "POST"])
@login_required
def notification_preferences(request):
    if request.method == "POST":
        choices = {
            kind.key: {
                channel: request.POST.get(f"{kind.key}-{channel}") == "on"
                for channel in ("in_app", "email", "sms", "email_digest")
            }
            for kind in kinds_all()
        }
        preferences_save(user=request.user, choices=choices, sms_offered=sms_enabled())
        messages.success(request, _("Your notification settings were saved."))
        return redirect("communications:notification_preferences")
    context = {"rows": preference_rows(request.user), "sms_offered": sms_enabled()}
    return render(request, "communications/notifications/preferences.html", context)
