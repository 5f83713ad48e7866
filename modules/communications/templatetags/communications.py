from __future__ import annotations

from django import template
from django.conf import settings

from modules.communications.notifications import bell_state

register = template.Library()


@register.inclusion_tag("communications/notifications/bell.html", takes_context=True)
def notification_bell(context):
    """The navigation's bell; polls its endpoint, which answers 204 while nothing changed."""
    request = context["request"]
    return {
        "state": bell_state(request.user),
        "request": request,
        "poll_seconds": settings.STUDENTFLOW_BELL_POLL_SECONDS,
    }
