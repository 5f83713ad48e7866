"""The office's delivery log: every email and SMS the portal queued, its attempts, and retrying failures."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from modules.accounts.decorators import administrator_required
from modules.communications.delivery import deliveries_retry, delivery_retry
from modules.communications.delivery_filters import DeliveryFilter, DeliveryTable
from modules.communications.models import Channel, Delivery, DeliveryStatus
from modules.core.htmx import render_page
from modules.core.params import table_configure

PER_PAGE = 25
# The HTML part of an email, shown as the recipient's mail program would: no scripts, no requests out,
# its own inline styles allowed, sandboxed away from the portal's origin.
EMAIL_PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


def _filtered(request) -> DeliveryFilter:
    return DeliveryFilter(request.GET, queryset=Delivery.objects.order_by("-created_at", "-pk"))


@require_GET
@administrator_required
def delivery_list(request):
    filterset = _filtered(request)
    table = DeliveryTable(filterset.qs)
    table_configure(request, table, per_page=PER_PAGE)
    context = {
        "filter": filterset,
        "table": table,
        "retry_failed_url": reverse("communications:delivery_retry_failed") + _query(request),
    }
    return render_page(request, "communications/deliveries/delivery_list.html", context, partial="results")


def _query(request) -> str:
    return f"?{request.GET.urlencode()}" if request.GET else ""


@require_GET
@administrator_required
def delivery_detail(request, pk):
    delivery = get_object_or_404(Delivery.objects.select_related("recipient", "guardian"), pk=pk)
    context = {
        "delivery": delivery,
        "attempts": delivery.attempt_log.all(),
        "can_retry": delivery.status == DeliveryStatus.FAILED,
        "has_html": delivery.channel == Channel.EMAIL and bool(delivery.body_html),
    }
    return render(request, "communications/deliveries/delivery_detail.html", context)


@require_GET
@administrator_required
def delivery_email_html(request, pk):
    delivery = get_object_or_404(Delivery, pk=pk, channel=Channel.EMAIL)
    if not delivery.body_html:
        raise Http404
    response = HttpResponse(delivery.body_html, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = EMAIL_PREVIEW_CSP
    return response


@require_POST
@administrator_required
def delivery_retry_view(request, pk):
    delivery = get_object_or_404(Delivery, pk=pk)
    if delivery_retry(delivery=delivery):
        messages.success(
            request, _("The delivery to %(name)s is queued again.") % {"name": delivery.recipient_name}
        )
    else:
        messages.error(
            request,
            _("Only a failed delivery can be retried; this one is “%(status)s”.")
            % {"status": delivery.get_status_display()},
        )
    return redirect("communications:delivery_detail", pk=delivery.pk)


@require_POST
@administrator_required
def delivery_retry_failed(request):
    """Retry every failed delivery matching the list's filters (carried in the query string)."""
    filterset = _filtered(request)
    if not filterset.is_valid():
        messages.error(request, _("These filters are not valid, so nothing was retried. Correct them first."))
        return redirect(reverse("communications:delivery_list") + _query(request))
    count = deliveries_retry(deliveries=filterset.qs)
    if count:
        messages.success(
            request,
            ngettext(
                "%(count)d failed delivery is queued again.",
                "%(count)d failed deliveries are queued again.",
                count,
            )
            % {"count": count},
        )
    else:
        messages.info(request, _("No failed deliveries match these filters; nothing was retried."))
    return redirect(reverse("communications:delivery_list") + _query(request))
