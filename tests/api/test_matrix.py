"""The API's own access matrix: every operation of the OpenAPI document is declared here with what each
role's token gets (an undeclared operation fails the test), and each is called with a token of every role,
holding every scope that role may hold (modules/api/scopes.py). A role that may not hold the endpoint's scope
gets 403; lists are each role's own scope (200, filtered: tests/api/test_api.py and test_school_api.py check
what is in them); one record is 200 for who may see it and 404 for who may not, as on the pages; a write is
200 for who may make it on the pages and 404 for a teacher of another class."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from modules.api.scopes import scopes_for
from modules.api.tokens import token_create
from modules.api.v1 import api
from modules.communications.models import Announcement, Notification
from modules.exams.models import TermStatus
from modules.exams.results import results_fresh
from modules.fees.ledger import record_payment
from tests import factories as f

pytestmark = pytest.mark.django_db

ROLES = ("admin", "teacher", "other_teacher", "guardian", "other_guardian", "student", "bursar")
EVERYONE = dict.fromkeys(ROLES, 200)


def _everyone_but(**overrides: int) -> dict[str, int]:
    return {**EVERYONE, **overrides}


NOT_BURSAR = _everyone_but(bursar=403)
FAMILIES_NO = {"guardian": 403, "other_guardian": 403, "student": 403}
MONEY = _everyone_but(teacher=403, other_teacher=403, student=403)
# Their teacher (the section's homeroom teacher and the class's) and the office; another teacher's is 404.
STAFF_WRITE = _everyone_but(other_teacher=404, bursar=403, **FAMILIES_NO)


@pytest.fixture
def records(school, admin):
    """One of each record the API serves, of the first section and its child."""
    register = f.RegisterFactory(section=school.section, state="submitted")
    f.AttendanceRecordFactory(register=register, student=school.child, status="absent")
    assessment = f.AssessmentFactory(offering=school.offering, term=school.term, published_at=timezone.now())
    f.MarkFactory(assessment=assessment, student=school.child, score=15)
    TermStatus.objects.create(term=school.term, results_published_at=timezone.now())
    results_fresh(school.term.pk)
    invoice = f.InvoiceFactory(year=school.year, student=school.child)
    record_payment(
        student_id=school.child.pk, amount=Decimal("100.00"), method="cash", key="matrix", by=admin
    )
    Announcement.objects.create(title="Sports day", body="Bring water.", author=admin)
    return {"register": register, "assessment": assessment, "invoice": invoice}


def _register(s, r):
    return {"register_id": r["register"].pk}


def _register_mark(s, r):
    return {"register_id": r["register"].pk, "student_id": s.child.pk}


def _mark_cell(s, r):
    return {"assessment_id": r["assessment"].pk, "student_id": s.child.pk}


NONE: dict = {}
# "METHOD path" → (path parameters from the school and its records, query, body, what each role's token gets)
DECLARED = {
    "GET /api/v1/me": (NONE, NONE, None, EVERYONE),
    "GET /api/v1/students": (NONE, NONE, None, EVERYONE),
    "GET /api/v1/students/{student_id}": (
        lambda s, r: {"student_id": s.child.pk},
        NONE,
        None,
        _everyone_but(other_teacher=404, other_guardian=404),
    ),
    "GET /api/v1/guardians": (NONE, NONE, None, EVERYONE),
    "GET /api/v1/guardians/{guardian_id}": (
        lambda s, r: {"guardian_id": s.guardian_profile.pk},
        NONE,
        None,
        _everyone_but(other_teacher=404, other_guardian=404, student=404),
    ),
    "GET /api/v1/staff": (NONE, NONE, None, EVERYONE),
    "GET /api/v1/academic-years": (NONE, NONE, None, EVERYONE),
    "GET /api/v1/terms": (NONE, NONE, None, EVERYONE),
    "GET /api/v1/grade-levels": (NONE, NONE, None, EVERYONE),
    "GET /api/v1/sections": (NONE, NONE, None, EVERYONE),
    "GET /api/v1/classes": (NONE, NONE, None, EVERYONE),
    "GET /api/v1/enrolments": (NONE, NONE, None, EVERYONE),
    "GET /api/v1/periods": (NONE, NONE, None, EVERYONE),
    "GET /api/v1/lessons": (NONE, NONE, None, EVERYONE),
    # Attendance: registers are staff's (families read their children's marks, not registers).
    "GET /api/v1/registers": (NONE, NONE, None, NOT_BURSAR),
    "GET /api/v1/registers/{register_id}": (
        _register,
        NONE,
        None,
        _everyone_but(other_teacher=404, guardian=404, other_guardian=404, student=404, bursar=403),
    ),
    "GET /api/v1/attendance-records": (NONE, NONE, None, NOT_BURSAR),
    "PUT /api/v1/registers/{register_id}/marks/{student_id}": (
        _register_mark,
        NONE,
        {"status": "late", "late_minutes": 7, "change_reason": "Came in late"},
        STAFF_WRITE,
    ),
    "POST /api/v1/registers/{register_id}/submit": (_register, NONE, None, STAFF_WRITE),
    # Grades
    "GET /api/v1/assessments": (NONE, NONE, None, NOT_BURSAR),
    "GET /api/v1/assessments/{assessment_id}": (
        lambda s, r: {"assessment_id": r["assessment"].pk},
        NONE,
        None,
        _everyone_but(other_teacher=404, other_guardian=404, bursar=403),
    ),
    "GET /api/v1/marks": (NONE, NONE, None, NOT_BURSAR),
    "GET /api/v1/term-results": (NONE, lambda s, r: {"term": s.term.pk}, None, NOT_BURSAR),
    "PUT /api/v1/assessments/{assessment_id}/marks/{student_id}": (
        _mark_cell,
        NONE,
        {"mark": "16"},
        STAFF_WRITE,
    ),
    # Fees: the bursar, the office and guardians.
    "GET /api/v1/invoices": (NONE, NONE, None, MONEY),
    "GET /api/v1/invoices/{invoice_id}": (
        lambda s, r: {"invoice_id": r["invoice"].pk},
        NONE,
        None,
        {**MONEY, "other_guardian": 404},
    ),
    "GET /api/v1/payments": (NONE, NONE, None, MONEY),
    # A reader's key, never a person's token.
    "POST /api/v1/devices/check-ins": (
        NONE,
        NONE,
        {"check_ins": [{"id": "e1", "card": "04A1B2", "at": "2026-12-01T08:00:00Z"}]},
        dict.fromkeys(ROLES, 401),
    ),
    # Messages: everyone's own.
    "GET /api/v1/announcements": (NONE, NONE, None, EVERYONE),
    "GET /api/v1/notifications": (NONE, NONE, None, EVERYONE),
}


def _operations() -> set[str]:
    paths = api.get_openapi_schema()["paths"]
    return {f"{method.upper()} {path}" for path, methods in paths.items() for method in methods}


def test_every_operation_is_declared():
    operations = _operations()
    assert operations == set(DECLARED), (
        f"undeclared: {operations - set(DECLARED)}; gone: {set(DECLARED) - operations}"
    )


def _given(value, school, records):
    return value(school, records) if callable(value) else value


@pytest.mark.parametrize("operation", sorted(DECLARED))
def test_each_role_s_token_gets_what_is_declared(operation, client, request, school, records):
    cache.clear()
    method, path = operation.split(" ", 1)
    params, query, body, expected = DECLARED[operation]
    url = path.format(**_given(params, school, records))
    got = {}
    for role in ROLES:
        user = request.getfixturevalue(role)
        Notification.objects.create(recipient=user, kind="general", title="Hello", key=f"matrix:{role}")
        secret = token_create(user=user, name=role, scopes=scopes_for(user), days=30).secret
        headers = {"Authorization": f"Bearer {secret}"}
        if method == "GET":
            response = client.get(url, _given(query, school, records), headers=headers)
        else:
            call = getattr(client, method.lower())
            response = call(url, body or {}, content_type="application/json", headers=headers)
        got[role] = response.status_code
    assert got == expected


def test_each_scope_is_offered_to_the_roles_whose_pages_hold_it(request):
    offered = {role: scopes_for(request.getfixturevalue(role)) for role in ("admin", "bursar", "guardian")}
    assert "grades:read" not in offered["bursar"]
    assert "attendance:read" not in offered["bursar"]
    assert "fees:read" in offered["bursar"]
    assert "fees:read" in offered["guardian"]
    assert "attendance:write" not in offered["guardian"]
    assert "grades:write" not in offered["guardian"]
    # The office holds every scope: the seven of /api/v1/ and OneRoster's three (the whole school's roster).
    assert len(offered["admin"]) == 10
    assert not any(
        scope.startswith("https://purl.imsglobal.org/") for scope in offered["bursar"] + offered["guardian"]
    )
