"""Schemathesis against the live OpenAPI document (read from the portal's own /api/v1/openapi.json): every
operation is called with generated parameters and bodies (valid and not) by a token holding every scope, on
a school with one of each record; no answer is a server error, and every answer (its status, headers and
body) is one the document declares."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.generation.meta import ComponentInfo

from modules.api.scopes import scopes_for
from modules.api.tokens import token_create
from tests.api.test_matrix import records  # noqa: F401  (the fixture: one of each record)

pytestmark = pytest.mark.django_db

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
]

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def office_token(school, records, admin, settings):  # noqa: F811
    settings.STUDENTFLOW_RATE_LIMITS = {**settings.STUDENTFLOW_RATE_LIMITS, "api": "", "api_sign_in": ""}
    cache.clear()
    # The portal's own WSGI application answers, in this test's transaction: as Django's test client does,
    # neither the start nor the end of a request may close the connection that holds it.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield token_create(user=admin, name="Schemathesis", scopes=scopes_for(admin), days=30).secret
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_answers_as_its_document_says(case, office_token):
    # A negative case whose headers were made invalid left the token out on purpose (the document says it is
    # required): it is sent without one, and must be refused (401), not let in by the token added here.
    headers_broken = case.meta is not None and case.meta.components.get(
        ParameterLocation.HEADER
    ) == ComponentInfo(GenerationMode.NEGATIVE)
    headers = {} if headers_broken else {"Authorization": f"Bearer {office_token}"}
    case.call_and_validate(headers=headers, checks=CHECKS)
