from __future__ import annotations

from django import template
from django.conf import settings

from modules.communications import kinds
from modules.communications.notifications import bell_state

register = template.Library()


@register.inclusion_tag("communications/notifications/bell.html", takes_context=True)
def notification_bell(context):
    """The navigation's bell; polls its endpoint, which answers 204 while nothing changed. A page that has
    already read the bell's state passes it as `bell_state`, saving the query."""
    request = context["request"]
    return {
        "state": context.get("bell_state") or bell_state(request.user),
        "request": request,
        "poll_seconds": settings.STUDENTFLOW_BELL_POLL_SECONDS,
    }


@register.filter
def kind_label(key: str) -> str:
    """A stored notification kind's label, in the reader's language: `{{ notification.kind|kind_label }}`."""
    return kinds.kind_label(key)


@register.filter
def kind_icon(key: str) -> str:
    """The Bootstrap icon name of a stored notification kind."""
    return kinds.kind_icon(key)
