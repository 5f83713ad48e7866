"""Every academics URL is declared in tests/access/declarations/academics.py, and answers as declared."""

from __future__ import annotations

import pytest
from django.urls import get_resolver, reverse

from tests.access.declarations.academics import RULES
from tests.access.matrix import PERSONAS


def _academics_url_names() -> set[str]:
    resolver = get_resolver()
    namespace = resolver.namespace_dict["academics"][1]
    return {f"academics:{name}" for name in namespace.reverse_dict if isinstance(name, str)}


def test_it_declares_every_academics_url():
    declared = {rule.name for rule in RULES}
    assert _academics_url_names() - declared == set()


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_it_answers_each_persona_as_declared(rule, persona, school, client, request):
    if persona != "anonymous":
        client.force_login(
            request.getfixturevalue(persona), backend="modules.accounts.backends.PortalBackend"
        )
    url = reverse(rule.name, kwargs=rule.resolve_kwargs(school))
    response = getattr(client, rule.method)(url, data=rule.resolve_data(school))
    assert response.status_code == rule.expect[persona]
