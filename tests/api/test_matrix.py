"""The API's own access matrix: every operation of the OpenAPI document is declared here with what each
role's token gets (an undeclared operation fails the test), and each is called with a token of every role.
Lists are each role's own scope (200, filtered: tests/api/test_api.py checks what is in them); one record is
200 for who may see it and 404 for who may not, as on the pages."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from modules.api.tokens import token_create
from modules.api.v1 import api

pytestmark = pytest.mark.django_db

ROLES = ("admin", "teacher", "other_teacher", "guardian", "other_guardian", "student", "bursar")
EVERYONE = dict.fromkeys(ROLES, 200)


def _everyone_but(**overrides: int) -> dict[str, int]:
    return {**EVERYONE, **overrides}


# path → (path parameters from the school, what each role's token gets)
DECLARED = {
    "/api/v1/me": ({}, EVERYONE),
    "/api/v1/students": ({}, EVERYONE),
    "/api/v1/students/{student_id}": (
        lambda s: {"student_id": s.child.pk},
        _everyone_but(other_teacher=404, other_guardian=404),
    ),
    "/api/v1/guardians": ({}, EVERYONE),
    "/api/v1/guardians/{guardian_id}": (
        lambda s: {"guardian_id": s.guardian_profile.pk},
        _everyone_but(other_teacher=404, other_guardian=404, student=404),
    ),
    "/api/v1/staff": ({}, EVERYONE),
    "/api/v1/academic-years": ({}, EVERYONE),
    "/api/v1/terms": ({}, EVERYONE),
    "/api/v1/grade-levels": ({}, EVERYONE),
    "/api/v1/sections": ({}, EVERYONE),
    "/api/v1/classes": ({}, EVERYONE),
    "/api/v1/enrolments": ({}, EVERYONE),
}


def test_every_operation_is_declared():
    paths = set(api.get_openapi_schema()["paths"])
    assert paths == set(DECLARED), f"undeclared: {paths - set(DECLARED)}; gone: {set(DECLARED) - paths}"


@pytest.mark.parametrize("path", sorted(DECLARED))
def test_each_role_s_token_gets_what_is_declared(path, client, request, school):
    cache.clear()
    params, expected = DECLARED[path]
    url = path.format(**(params(school) if callable(params) else params))
    got = {}
    for role in ROLES:
        user = request.getfixturevalue(role)
        secret = token_create(user=user, name=role, scopes=["roster:read"], days=30).secret
        got[role] = client.get(url, headers={"Authorization": f"Bearer {secret}"}).status_code
    assert got == expected
