"""The access matrix: every URL pattern of the project declares, per persona, the status it expects.

Each module adds a file in tests/access/declarations/ with `RULES = [Rule(...), ...]`. The test in
test_matrix.py walks every URL pattern; a pattern without a rule fails the test, so a new page must say
who may open it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PERSONAS = (
    "anonymous",
    "admin",
    "teacher",
    "other_teacher",
    "guardian",
    "other_guardian",
    "student",
    "bursar",
)
SIGNED_IN = PERSONAS[1:]


def expect(default: int, anonymous: int = 302, **overrides: int) -> dict[str, int]:
    """Expected statuses: `default` for every signed-in persona, with per-persona overrides."""
    result = dict.fromkeys(SIGNED_IN, default)
    result["anonymous"] = anonymous
    result.update(overrides)
    return result


# Office pages: administrators only; everyone else signed in is refused (403), visitors go to log in.
ADMIN_ONLY = expect(403, admin=200)
# Office actions that answer with a redirect after success (POST).
ADMIN_ONLY_POST = expect(403, admin=302)
# Any signed-in user.
SIGNED_IN_OK = expect(200)
# Public pages.
PUBLIC = expect(200, anonymous=200)


@dataclass
class Rule:
    name: str  # the URL name, with namespace ("people:student_list"), or a regex when `pattern=True`
    expect: dict[str, int]
    kwargs: Callable[[Any], dict[str, Any]] | dict[str, Any] = field(default_factory=dict)
    method: str = "get"
    data: Callable[[Any], dict[str, Any]] | dict[str, Any] = field(default_factory=dict)
    pattern: bool = False  # name is a regular expression covering a family of URLs (admin, allauth)
    check: bool = True  # False: declared (the family is covered) but not requested, with `why`
    why: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def matches(self, url_name: str) -> bool:
        if self.pattern:
            return re.fullmatch(self.name, url_name) is not None
        return self.name == url_name

    def resolve_kwargs(self, school) -> dict[str, Any]:
        return self.kwargs(school) if callable(self.kwargs) else dict(self.kwargs)

    def resolve_data(self, school) -> dict[str, Any]:
        return self.data(school) if callable(self.data) else dict(self.data)
