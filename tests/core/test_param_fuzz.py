"""Bad query parameters are ignored or answered 400, never 500, on every page a persona can open.

The pages come from the access matrix (tests/access/declarations/): every GET rule that some persona opens
with 200. Each page is fetched as that persona, its own query parameters are read from what it shows (the
filter forms' fields and the links' query strings: sort, page, per_page...), and each parameter, plus a
common set (page, per_page, sort, year, q, date, month, term...), is sent hostile values: negative, zero,
huge, text where a number is expected, NUL bytes, impossible dates, very long strings. Any 5xx fails.

To stay within about a minute on SQLite, each parameter the page offers gets two values alone (rotating
through the list, so every value meets many parameters), and one value of each kind of mistake is sent to
all parameters, the page's and the common ones, at once (fewer to a download, which renders each time).
"""

from __future__ import annotations

import itertools
import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse

from tests.access.matrix import PERSONAS
from tests.access.test_matrix import all_rules, all_urls, rule_for

HOSTILE = (
    "-1",
    "0",
    "99999999999999999999999",
    "abc",
    "",
    "%00",
    "\x00",
    "2026-13-45",
    "x" * 3000,
    "-99999999999999999999999",
    "1e999",
    "NaN",
    "1.5",
    " 7 ",
    "٣",  # an Arabic-Indic digit: str.isdigit() says yes, int() says yes, the database may not
    "²",  # a superscript two: str.isdigit() says yes, int() says no
    "0x10",
    "2026-02-30",
    "9999-12-31",
    "0000-01-01",
    "0001-01-01",
    "99999-01",
    "2026-00",
    "-",
    "../../etc/passwd",
    "'\"<>;--",
    "[]",
)
# Sent to every parameter at once: one of each kind of mistake (sign, size, type, NUL, calendar, length).
ALL_AT_ONCE = (
    "-1",
    "0",
    "99999999999999999999999",
    "abc",
    "",
    "\x00",
    "²",
    "1.5",
    "2026-13-45",
    "9999-12-31",
    "0001-01-01",
    "x" * 3000,
)
# A download (PDF, spreadsheet) costs a render per request: a few values cover its parameters.
DOWNLOAD_VALUES = ("-1", "99999999999999999999999", "²", "2026-13-45")
COMMON = (
    "page",
    "per_page",
    "sort",
    "year",
    "q",
    "date",
    "month",
    "term",
    "section",
    "status",
    "student",
    "child",
    "offering",
    "subject",
    "format",
    "from",
    "to",
    "start",
    "end",
    "day",
    "week",
    "item",
    "grade",
)
VALUES_PER_PARAMETER = 2
SKIPPED = {"csrfmiddlewaretoken", "next"}  # `next` is the login redirect, checked by the accounts tests
PREFERRED = ("admin", "bursar", "teacher", "guardian", "student", "other_teacher", "other_guardian")
_NAME = re.compile(r"<(?:input|select|textarea)\b[^>]*\bname=\"([^\"]+)\"", re.IGNORECASE)
_HREF = re.compile(r"href=\"([^\"]*\?[^\"]*)\"")


def _pages():
    cases = []
    rules = all_rules()
    for name, _route in all_urls():
        rule = rule_for(name, rules)
        if rule is None or rule.pattern or not rule.check or rule.method != "get" or rule.headers:
            continue
        persona = next((p for p in PREFERRED if rule.expect.get(p) == 200), None)
        if persona is None and rule.expect.get("anonymous") == 200:
            persona = "anonymous"
        if persona is not None:
            cases.append(pytest.param(name, rule, persona, id=name))
    return cases


def _parameters(content: str) -> set[str]:
    """The query parameters a page offers: its form fields and the keys of its links' query strings."""
    names = set(_NAME.findall(content))
    for href in _HREF.findall(content):
        names.update(key for key, _value in parse_qsl(urlsplit(unescape(href)).query, keep_blank_values=True))
    return {name for name in names if name not in SKIPPED and len(name) < 60}


@pytest.mark.parametrize(("url_name", "rule", "persona"), _pages())
def test_no_query_parameter_makes_a_page_fail(url_name, rule, persona, school, client, request):
    assert persona in PERSONAS
    if persona != "anonymous":
        user = request.getfixturevalue(persona)
        client.force_login(user, backend="modules.accounts.backends.PortalBackend")
    client.raise_request_exception = False  # a 500 is recorded with its cause, and the walk goes on
    url = reverse(url_name, kwargs=rule.resolve_kwargs(school) or None)
    base = rule.resolve_data(school)
    first = client.get(url, base)
    assert first.status_code == 200, f"{url} as {persona}: {first.status_code}"
    content = first.content.decode(errors="replace") if "html" in first.get("Content-Type", "") else ""
    offered = sorted(_parameters(content))
    parameters = sorted(set(offered) | set(COMMON))

    failures = []

    def fetch(query: dict[str, str]) -> None:
        response = client.get(url, {**base, **query})
        if response.status_code >= 500:
            shown = {key: (value[:20] + "…" if len(value) > 20 else value) for key, value in query.items()}
            error = repr(response.exc_info[1])[:160] if response.exc_info else ""
            failures.append(f"{response.status_code} for {repr(shown)[:160]}: {error}")

    values = itertools.cycle(HOSTILE)
    for parameter in offered:
        for _ in range(VALUES_PER_PARAMETER):
            fetch({parameter: next(values)})
    for value in ALL_AT_ONCE if content else DOWNLOAD_VALUES:
        fetch(dict.fromkeys(parameters, value))
    assert not failures, f"GET {url} as {persona}:\n" + "\n".join(failures[:20])


def test_a_list_page_shows_at_most_a_hundred_rows_whatever_per_page_asks(as_user, admin, school):
    from tests import factories as f

    for number in range(110):
        f.StudentFactory(last_name=f"Many{number:03d}")
    client = as_user(admin)
    url = reverse("people:student_list")
    for per_page, shown in [("-1", 25), ("0", 25), ("abc", 25), ("50", 50), ("1000000", 25), ("100", 100)]:
        response = client.get(url, {"per_page": per_page, "q": "Many"})
        assert response.status_code == 200
        assert len(set(re.findall(r"Many\d{3}", response.content.decode()))) == shown, per_page


def test_a_nul_character_in_the_query_string_is_a_bad_request(as_user, admin, school):
    """PostgreSQL cannot compare text holding NUL: refused before any view filters by it (was a 500)."""
    client = as_user(admin)
    assert client.get(reverse("people:student_list"), {"q": "Sam\x00"}).status_code == 400
    assert client.get(reverse("people:student_list") + "?q=%00").status_code == 400
    assert client.get(reverse("people:student_list"), {"q": "Sam"}).status_code == 200
