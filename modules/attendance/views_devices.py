"""The office's attendance readers: registered (the key shown once, on the answer that made it), listed with
when each was last heard from, revoked; and the check-ins that marked nothing (unknown cards first), for the
office to act on (give a student their card number, take a register by hand)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from modules.accounts.decorators import administrator_required
from modules.attendance.devices import DeviceError, device_register, device_revoke
from modules.attendance.forms import DeviceForm
from modules.attendance.models import APPLIED_OUTCOMES, AttendanceDevice, DeviceEvent, EventOutcome

EVENTS_PER_PAGE = 50


def _page(request, form, made=None, status: int = 200):
    devices = (
        AttendanceDevice.objects.select_related("room")
        .prefetch_related("sections")
        .order_by("revoked_at", "name")
    )
    unknown = (
        DeviceEvent.objects.filter(outcome=EventOutcome.UNKNOWN_CARD)
        .values("card")
        .annotate(reads=Count("pk"), last=Max("occurred_at"))
        .order_by("-last")[:20]
    )
    response = render(
        request,
        "attendance/office_devices.html",
        {"form": form, "devices": devices, "made": made, "unknown_cards": list(unknown)},
        status=status,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@administrator_required
def devices(request):
    if request.method == "GET":
        return _page(request, DeviceForm())
    form = DeviceForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        made = device_register(
            by=request.user,
            name=form.cleaned_data["name"],
            place=form.cleaned_data["place"],
            sections=list(form.cleaned_data["sections"]),
            room=form.cleaned_data["room"],
        )
    except DeviceError as refusal:
        form.add_error(None, refusal.message)
        return _page(request, form, status=400)
    return _page(request, DeviceForm(), made=made)


@require_POST
@administrator_required
def device_revoke_view(request, pk: int):
    device = get_object_or_404(AttendanceDevice, pk=pk)
    if device_revoke(device=device, by=request.user):
        messages.success(request, _("“%(name)s” no longer works.") % {"name": device.name})
    return redirect("attendance:office_devices")


@require_GET
@administrator_required
def device_events(request):
    """Check-ins that marked nothing, newest first (all of them with ?all=1)."""
    events = DeviceEvent.objects.select_related("device", "student").order_by("-occurred_at", "-pk")
    every = request.GET.get("all") == "1"
    if not every:
        events = events.exclude(outcome__in=APPLIED_OUTCOMES)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "attendance/office_device_events.html", {"page": page, "every": every})
