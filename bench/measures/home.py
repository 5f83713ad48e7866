"""Each role's home page, signed in as the demo user of that role."""

from __future__ import annotations

from bench.registry import measure
from modules.accounts import demo

HOME_BUDGET_MS = 40
HOME_BUDGET_QUERIES = 12


def _home(email: str):
    def setup(bench):
        client = bench.client_for(email)
        return lambda: bench.get(client, "/")

    return setup


for role, email in [
    ("administrator", demo.ADMIN_EMAIL),
    ("teacher", demo.TEACHER_EMAIL),
    ("guardian", demo.PARENT_EMAIL),
    ("student", demo.STUDENT_EMAIL),
    ("bursar", demo.BURSAR_EMAIL),
]:
    measure(f"home: {role}", budget_ms=HOME_BUDGET_MS, budget_queries=HOME_BUDGET_QUERIES)(_home(email))
