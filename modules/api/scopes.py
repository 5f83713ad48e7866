"""What a token may do: its scopes, each within what its owner may see on the pages.

A scope is offered only once the API has endpoints that need it; each router declares the one it needs."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ROSTER_READ = "roster:read"

SCOPES = {
    ROSTER_READ: _(
        "Read the school's roster as you see it: students, guardians, staff, years and terms, grade levels, "
        "sections, classes and enrolments."
    ),
}
