"""The report builder on the large school: a report over every student (about 3,000) and the current term's
attendance, to the first page of its preview (the htmx fragment the builder swaps in), as the office builds
it. Two shapes: every student's line sorted by attendance rate (the worst first: every student's counts are
needed before the first row), and "attendance below 90%, grouped by section" (the browser test's report).
Both count by the one definition (attendance.selectors.session_records), in SQL. And term results: every
student's average in every class this term (about 3,000 × 8 lines, stored by exams.results), sorted by
average, and those below 50% grouped by section with their letter read from the scales.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.http import urlencode

from bench.registry import measure
from modules.accounts import demo

PREVIEW_BUDGET_MS = 2000


def _preview_url(**extra) -> str:
    from modules.reports.builder import current_term

    term = current_term()
    params = {
        "dataset": "attendance",
        "term": str(term.pk) if term is not None else "",
        "columns": ["name", "section", "possible", "attended", "absent", "rate"],
        **extra,
    }
    return f"{reverse('reports:builder_new')}?{urlencode(params, doseq=True)}"


@measure(
    "reports: builder preview, every student x a term of attendance, sorted by rate",
    budget_ms=PREVIEW_BUDGET_MS,
    runs=5,
    warmup=1,
)
def builder_preview_sorted(bench):
    url = _preview_url(sort="rate")
    return _preview(bench, url)


@measure(
    "reports: builder preview, attendance below 90% this term by section",
    budget_ms=PREVIEW_BUDGET_MS,
    runs=5,
    warmup=1,
)
def builder_preview_grouped(bench):
    url = _preview_url(filter_1_field="rate", filter_1_op="lt", filter_1_value="90", group_by="section")
    return _preview(bench, url)


def _preview(bench, url: str):
    """The timed run: the office's preview fragment (what the builder swaps in)."""
    client = bench.client_for(demo.ADMIN_EMAIL)
    return lambda: bench.get(client, url, HTTP_HX_REQUEST="true")


def _results_url(**extra) -> str:
    return _preview_url(
        dataset="term_results", columns=["name", "section", "subject", "average", "letter", "passed"], **extra
    )


@measure(
    "reports: builder preview, every student's term average in every class, sorted by average",
    budget_ms=PREVIEW_BUDGET_MS,
    runs=5,
    warmup=1,
)
def builder_results_sorted(bench):
    url = _results_url(sort="average")
    return _preview(bench, url)


@measure(
    "reports: builder preview, term averages below 50% by section",
    budget_ms=PREVIEW_BUDGET_MS,
    runs=5,
    warmup=1,
)
def builder_results_grouped(bench):
    url = _results_url(filter_1_field="average", filter_1_op="lt", filter_1_value="50", group_by="section")
    return _preview(bench, url)


@measure(
    "reports: builder preview, every mark of the school (about 250,000), sorted by score",
    budget_ms=PREVIEW_BUDGET_MS,
    runs=5,
    warmup=1,
)
def builder_marks_sorted(bench):
    params = {
        "dataset": "marks",
        "columns": ["name", "subject", "assessment", "score", "max_score"],
        "sort": "score",
    }
    url = f"{reverse('reports:builder_new')}?{urlencode(params, doseq=True)}"
    return _preview(bench, url)
