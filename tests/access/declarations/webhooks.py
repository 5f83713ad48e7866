"""Outgoing webhooks (modules/webhooks): the office's pages only. Every other persona signed in is refused
(403) before anything is looked up; an endpoint or a delivery that does not exist is the office's 404."""

from modules.webhooks.models import Delivery, DeliveryStatus, Endpoint
from tests.access.matrix import ADMIN_ONLY, ADMIN_ONLY_POST, Rule, expect


def _endpoint(s) -> dict:
    endpoint = Endpoint.objects.create(
        url="https://hooks.example.org/studentflow", events=["payment.recorded"], secret="whsec_matrix"
    )
    return {"pk": endpoint.pk}


def _abandoned_delivery(s) -> dict:
    endpoint = Endpoint.objects.create(
        url="https://hooks.example.org/studentflow", events=["payment.recorded"], secret="whsec_matrix"
    )
    delivery = Delivery.objects.create(
        endpoint=endpoint, event="payment.recorded", payload={}, status=DeliveryStatus.ABANDONED
    )
    return {"pk": delivery.pk}


MISSING = {"pk": 999999}

RULES = [
    Rule("webhooks:endpoints", expect=ADMIN_ONLY),
    Rule("webhooks:endpoint", expect=ADMIN_ONLY, kwargs=_endpoint),
    Rule("webhooks:endpoint_edit", expect=ADMIN_ONLY, kwargs=_endpoint),
    Rule("webhooks:endpoint_pause", expect=ADMIN_ONLY_POST, kwargs=_endpoint, method="post"),
    Rule("webhooks:endpoint_resume", expect=expect(403, admin=404), kwargs=MISSING, method="post"),
    # Rolling answers with the endpoint's page, the new secret shown once.
    Rule("webhooks:endpoint_roll", expect=ADMIN_ONLY, kwargs=_endpoint, method="post"),
    Rule("webhooks:endpoint_ping", expect=expect(403, admin=404), kwargs=MISSING, method="post"),
    Rule("webhooks:endpoint_delete", expect=ADMIN_ONLY_POST, kwargs=_endpoint, method="post"),
    Rule("webhooks:delivery_retry", expect=ADMIN_ONLY_POST, kwargs=_abandoned_delivery, method="post"),
]
