"""The office's webhooks pages: the endpoints (added with their secret shown once, on the answer that made
it), one endpoint with its delivery log (newest first, paged; "Retry now" on failed and given-up ones), its
edit form, and the actions on it (pause, resume, roll the secret, send a test event, delete)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from modules.accounts.decorators import administrator_required
from modules.core.htmx import render_page
from modules.webhooks.catalogue import EVENT_TYPES, PING_EXAMPLE, event_label
from modules.webhooks.forms import EndpointForm
from modules.webhooks.models import Delivery, Endpoint
from modules.webhooks.services import (
    MAX_ENDPOINTS,
    WebhookError,
    delivery_retry,
    endpoint_create,
    endpoint_delete,
    endpoint_pause,
    endpoint_ping,
    endpoint_resume,
    endpoint_secret_roll,
    endpoint_update,
)
from modules.webhooks.signing import VERIFY_SNIPPET

DELIVERIES_PER_PAGE = 25


def _no_store(response):
    # The pages that show a secret must not be kept by the browser or a proxy; the others follow suit.
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _refused(form: EndpointForm, refusal: WebhookError) -> None:
    form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)


def _endpoints_page(request, form, made=None, status: int = 200):
    events = [
        {"type": event, "example": json.dumps(event.example, indent=2, ensure_ascii=False)}
        for event in EVENT_TYPES.values()
    ]
    context = {
        "form": form,
        "endpoints": list(Endpoint.objects.select_related("created_by")),
        "made": made,
        "events": events,
        "ping_example": json.dumps(PING_EXAMPLE, indent=2),
        "max_endpoints": MAX_ENDPOINTS,
        "verify_snippet": VERIFY_SNIPPET,
    }
    return _no_store(render(request, "webhooks/endpoints.html", context, status=status))


@require_http_methods(["GET", "POST"])
@administrator_required
def endpoints(request):
    if request.method == "GET":
        return _endpoints_page(request, EndpointForm())
    form = EndpointForm(request.POST)
    if not form.is_valid():
        return _endpoints_page(request, form, status=400)
    try:
        made = endpoint_create(by=request.user, **form.cleaned_data)
    except WebhookError as refusal:
        _refused(form, refusal)
        return _endpoints_page(request, form, status=400)
    return _endpoints_page(request, EndpointForm(), made=made)


def _endpoint_page(request, endpoint: Endpoint, *, secret: str | None = None):
    # The payloads stay in the database: the log shows what happened to them, not what they said.
    deliveries = Delivery.objects.filter(endpoint=endpoint).defer("payload").order_by("-created_at", "-pk")
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    for delivery in page:
        delivery.event_label = event_label(delivery.event)
    context = {
        "endpoint": endpoint,
        "page": page,
        "secret": secret,
        "event_labels": [event_label(name) for name in endpoint.events],
    }
    return _no_store(render_page(request, "webhooks/endpoint.html", context, partial="log"))


@require_http_methods(["GET"])
@administrator_required
def endpoint(request, pk: int):
    return _endpoint_page(request, get_object_or_404(Endpoint, pk=pk))


@require_http_methods(["GET", "POST"])
@administrator_required
def endpoint_edit(request, pk: int):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    initial = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint_update(endpoint=endpoint, by=request.user, **form.cleaned_data)
        except WebhookError as refusal:
            _refused(form, refusal)
        else:
            messages.success(request, _("The endpoint is saved."))
            return redirect("webhooks:endpoint", pk=endpoint.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "webhooks/endpoint_edit.html", {"form": form, "endpoint": endpoint}, status=status)


@require_POST
@administrator_required
def endpoint_pause_view(request, pk: int):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    if endpoint_pause(endpoint=endpoint, by=request.user):
        messages.success(request, _("The endpoint is paused: no event is sent to it until you resume it."))
    return redirect("webhooks:endpoint", pk=endpoint.pk)


@require_POST
@administrator_required
def endpoint_resume_view(request, pk: int):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    if endpoint_resume(endpoint=endpoint, by=request.user):
        messages.success(request, _("The endpoint is resumed: events are sent to it again."))
    return redirect("webhooks:endpoint", pk=endpoint.pk)


@require_POST
@administrator_required
def endpoint_roll_view(request, pk: int):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    secret = endpoint_secret_roll(endpoint=endpoint, by=request.user)
    endpoint.refresh_from_db()
    return _endpoint_page(request, endpoint, secret=secret)


@require_POST
@administrator_required
def endpoint_ping_view(request, pk: int):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    endpoint_ping(endpoint=endpoint, by=request.user)
    messages.success(request, _("A test event is on its way; its delivery is at the top of the log."))
    return redirect("webhooks:endpoint", pk=endpoint.pk)


@require_POST
@administrator_required
def endpoint_delete_view(request, pk: int):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    endpoint_delete(endpoint=endpoint, by=request.user)
    messages.success(request, _("The endpoint %(url)s is deleted.") % {"url": endpoint.url})
    return redirect("webhooks:endpoints")


@require_POST
@administrator_required
def delivery_retry_view(request, pk: int):
    delivery = get_object_or_404(Delivery.objects.select_related("endpoint"), pk=pk)
    if delivery_retry(delivery=delivery, by=request.user):
        messages.success(request, _("The delivery is sent again."))
    elif not delivery.endpoint.is_active:
        messages.error(request, _("Resume the endpoint before sending its deliveries again."))
    return redirect("webhooks:endpoint", pk=delivery.endpoint_id)
