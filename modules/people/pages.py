"""What the people pages share, here and on the floors above (academics' student pages): a filtered,
sortable list page, the person form page, and the invitation a new login sends."""

from __future__ import annotations

from django.shortcuts import render

from modules.core.htmx import render_page
from modules.core.params import table_configure
from modules.core.ratelimits import rate_limit_hit
from modules.people.models import Staff

PER_PAGE = 25


def list_page(request, *, filterset, table_class, template, title, extra=None):
    table = table_class(filterset.qs)
    table_configure(request, table, per_page=PER_PAGE)
    context = {"filter": filterset, "table": table, "title": title, **(extra or {})}
    return render_page(request, template, context, partial="results")


def sends_invitation(form, person) -> bool:
    """Whether saving this valid form creates a login, which emails an invitation."""
    if person.user_id is not None or not form.cleaned_data.get("email"):
        return False
    return isinstance(person, Staff) or bool(form.cleaned_data.get("create_login"))


def invitation_refused(request, form) -> bool:
    """Every new login emails someone an invitation, so creating them counts against the invitation limit
    (as resending does); past it the form says so and nothing is saved."""
    hit = rate_limit_hit(request, action="invitation")
    if hit is not None:
        form.add_error(None, hit.message)
    return hit is not None


def person_form_page(request, form, person, kind, status=200):
    return render(
        request, "people/person_form.html", {"form": form, "object": person, "kind": kind}, status=status
    )
