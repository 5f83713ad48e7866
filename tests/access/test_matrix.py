"""Walks every URL pattern of the project with a persona per role and asserts the declared status."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access import declarations
from tests.access.matrix import PERSONAS, Rule


def _walk(patterns, namespace=None, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            full = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
            yield from _walk(pattern.url_patterns, full, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            if pattern.name:
                yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), route
            else:
                yield f"route:{route}", route


def all_urls() -> list[tuple[str, str]]:
    return list(_walk(get_resolver().url_patterns))


def all_rules() -> list[Rule]:
    rules: list[Rule] = []
    for module in pkgutil.iter_modules(declarations.__path__):
        rules.extend(importlib.import_module(f"{declarations.__name__}.{module.name}").RULES)
    return rules


def rule_for(url_name: str, rules: list[Rule]) -> Rule | None:
    exact = [rule for rule in rules if not rule.pattern and rule.matches(url_name)]
    if exact:
        return exact[0]
    families = [rule for rule in rules if rule.pattern and rule.matches(url_name)]
    return families[0] if families else None


def test_it_declares_every_url_pattern():
    rules = all_rules()
    missing = [f"{name}  ({route})" for name, route in all_urls() if rule_for(name, rules) is None]
    assert not missing, "URL patterns with no access rule in tests/access/declarations/:\n" + "\n".join(
        missing
    )


def test_it_has_no_rule_for_a_url_that_does_not_exist():
    names = [name for name, _route in all_urls()]
    stale = [rule.name for rule in all_rules() if not any(rule.matches(name) for name in names)]
    assert not stale, f"Rules naming no URL pattern: {stale}"


def _checked_cases():
    cases = []
    rules = all_rules()
    for name, _route in all_urls():
        rule = rule_for(name, rules)
        if rule is not None and rule.check:
            cases.append(pytest.param(name, rule, id=name))
    return cases


@pytest.mark.parametrize(("url_name", "rule"), _checked_cases())
def test_it_answers_each_persona_as_declared(url_name, rule, school, admin, bursar, client, request):
    users = {
        "admin": admin,
        "bursar": bursar,
        "teacher": request.getfixturevalue("teacher"),
        "other_teacher": request.getfixturevalue("other_teacher"),
        "guardian": request.getfixturevalue("guardian"),
        "other_guardian": request.getfixturevalue("other_guardian"),
        "student": request.getfixturevalue("student"),
    }
    kwargs = rule.resolve_kwargs(school) if not rule.pattern else rule.resolve_kwargs((school, url_name))
    url = (
        reverse(url_name, kwargs=kwargs or None) if not url_name.startswith("route:") else "/" + url_name[6:]
    )
    failures = []
    for persona in PERSONAS:
        client.logout()
        if persona != "anonymous":
            client.force_login(users[persona], backend="modules.accounts.backends.PortalBackend")
        data = rule.resolve_data(school) if not rule.pattern else rule.resolve_data((school, url_name))
        response = getattr(client, rule.method)(url, data, headers=rule.headers)
        expected = rule.expect[persona]
        if response.status_code != expected:
            failures.append(f"{persona}: expected {expected}, got {response.status_code}")
    assert not failures, f"{rule.method.upper()} {url}\n" + "\n".join(failures)
