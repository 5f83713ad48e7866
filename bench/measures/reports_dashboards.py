"""Each role's dashboard (/reports/) on the large school, signed in as the demo user of that role.

The issue's budget is 150 ms a dashboard with queries flat in the size of the school. The query budgets are
what the tests pin on a small school (tests/reports/test_dashboards_*.py: the office 26, the bursar 6, a
child 15, a teacher 19 with one class) plus what a demo teacher's and a demo family's own size adds: a
teacher's dashboard reads one query more per class they teach (its latest assessment's distribution) and
one per grade level of their classes (its grading scale); a family nine per child after the first.

Seen once on a copy of the large school (not through the bench; two cores busy with other work, so slow):
the office ~330-500 ms with 23-26 queries, the bursar ~45 ms with 6, the demo teacher ~250 ms with 31, the
demo guardian ~150-190 ms with 40 (before a family's term was read once), the demo student ~60 ms with 16."""

from __future__ import annotations

from bench.registry import measure
from modules.accounts import demo

DASHBOARD_BUDGET_MS = 150

for role, email, queries in [
    ("administrator", demo.ADMIN_EMAIL, 30),
    ("bursar", demo.BURSAR_EMAIL, 8),
    ("teacher", demo.TEACHER_EMAIL, 40),
    ("guardian", demo.PARENT_EMAIL, 40),
    ("student", demo.STUDENT_EMAIL, 20),
]:

    def setup(bench, email=email):
        client = bench.client_for(email)
        return lambda: bench.get(client, "/reports/")

    measure(f"reports dashboard: {role}", budget_ms=DASHBOARD_BUDGET_MS, budget_queries=queries)(setup)
