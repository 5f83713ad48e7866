"""Compliance returns on the large school: the attendance return of the whole school for the current term
(every student's line, by grade level and for the school), as the page, as the XLSX download, and as the
PDF of every row that the office has prepared on the queue.

The return reads the registers' and the students' term tallies; the setup runs what the worker runs each
night (tasks/attendance_tallies.py: the term's tallies recounted), as a school's database has it by morning.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from bench.registry import measure
from modules.accounts import demo

RETURN_BUDGET_MS = 2000


def _term_url(**extra: str) -> str:
    from modules.academics.models import Term
    from modules.attendance.services import term_tallies_catch_up

    term_tallies_catch_up()
    today = timezone.localdate()
    term = (
        Term.objects.filter(start_date__lte=today, end_date__gte=today).order_by("start_date").first()
        or Term.objects.filter(start_date__lte=today).order_by("-start_date").first()
    )
    params = {**({"term": str(term.pk)} if term is not None else {}), **extra}
    return f"{reverse('reports:return_detail', kwargs={'slug': 'attendance'})}?{urlencode(params)}"


@measure(
    "reports: attendance return, whole school, a term (page)", budget_ms=RETURN_BUDGET_MS, runs=5, warmup=1
)
def attendance_return_page(bench):
    url = _term_url()
    client = bench.client_for(demo.ADMIN_EMAIL)
    return lambda: bench.get(client, url)


@measure(
    "reports: attendance return, whole school, a term (XLSX)", budget_ms=RETURN_BUDGET_MS, runs=5, warmup=1
)
def attendance_return_xlsx(bench):
    url = _term_url(format="xlsx")
    client = bench.reauthenticated(bench.client_for(demo.ADMIN_EMAIL))  # an export of every student's records
    return lambda: bench.get(client, url)


@measure(
    "reports: attendance return, whole school, a term (PDF of every row, prepared on the queue)",
    budget_ms=60_000,
    runs=1,
    warmup=0,
)
def attendance_return_pdf(bench):
    """The office's "Prepare the PDF": the job builds the return again and lays out every student's line
    (~3,000 rows, 80 pages) in one document. The bench runs Huey immediately, so the POST returns once the
    job is done: its time is the job's."""
    from urllib.parse import parse_qsl, urlsplit

    from bench.runner import BenchError
    from modules.core.models import Job, JobStatus
    from modules.reports.returns_jobs import JOB_KIND

    params = dict(parse_qsl(urlsplit(_term_url()).query))
    client = bench.reauthenticated(bench.client_for(demo.ADMIN_EMAIL))
    url = reverse("reports:return_pdf_prepare", kwargs={"slug": "attendance"})

    def run():
        response = client.post(url, params)
        job = Job.objects.filter(kind=JOB_KIND).order_by("-created_at").first()
        if response.status_code != 302 or job is None or job.status != JobStatus.SUCCEEDED:
            raise BenchError(f"the return's PDF was not made: {response.status_code} {job and job.message}")
        run.note = f"{job.total:,} rows laid out in one PDF of {job.result_file.size / 1000:,.0f} KB."  # type: ignore[attr-defined]

    return run
