"""`python -m bench`: time the registered measures on the large demo school, in-process.

Uses portal.settings.bench (its own SQLite file, var/bench.sqlite3, or DATABASE_URL), migrates it, loads
the large demo school once, then runs every measure: warm-up runs, then timed runs with the SQL queries of
each run counted. Writes bench/results.json and bench/results.md and prints the table. The exit code is 0
even when a measure is over budget (over-budget lines are flagged); it is 1 only when a measure fails
to run at all (an error, or a page that does not answer 200).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from bench.registry import Elapsed

BENCH_DIR = Path(__file__).resolve().parent
SETTINGS_MODULE = "portal.settings.bench"


class BenchError(Exception):
    """A measure could not run (a page answered with an error, an import was refused, ...)."""


class Bench:
    """What measure setups get: signed-in test clients for the demo users and a checked GET."""

    def __init__(self):
        self._clients = {}

    def user(self, email: str):
        from modules.accounts.models import User

        return User.objects.get(email=email)

    def client_for(self, email: str):
        from django.test import Client

        if email not in self._clients:
            client = Client()
            client.force_login(self.user(email), backend="modules.accounts.backends.PortalBackend")
            self._clients[email] = client
        return self._clients[email]

    def reauthenticated(self, client):
        """The client after typing its password again (allauth's page): bulk exports ask for a recent
        re-authentication (modules/core/exports.py). Valid for ACCOUNT_REAUTHENTICATION_TIMEOUT, longer than
        a measure runs."""
        from modules.accounts.demo import DEMO_PASSWORD

        response = client.post("/accounts/reauthenticate/", {"password": DEMO_PASSWORD})
        if response.status_code != 302:
            raise BenchError(f"re-authentication answered {response.status_code}")
        return client

    def get(self, client, url: str, expect: int = 200, **extra):
        response = client.get(url, **extra)
        if response.status_code != expect:
            location = f" → {response.headers.get('Location')}" if response.has_header("Location") else ""
            raise BenchError(f"GET {url} answered {response.status_code}{location}")
        return response


@dataclass
class Result:
    name: str
    median_ms: float | None
    p95_ms: float | None
    queries: int | None
    budget_ms: float
    budget_queries: int | None
    runs: int
    note: str = ""
    error: str = ""

    @property
    def passed(self) -> bool:
        if self.error or self.median_ms is None:
            return False
        within_time = self.median_ms <= self.budget_ms
        within_queries = self.budget_queries is None or (self.queries or 0) <= self.budget_queries
        return within_time and within_queries

    def over_budget(self) -> list[str]:
        reasons = []
        if self.median_ms is not None and self.median_ms > self.budget_ms:
            reasons.append(f"median {self.median_ms:.1f} ms > {self.budget_ms:g} ms")
        if (
            self.budget_queries is not None
            and self.queries is not None
            and self.queries > self.budget_queries
        ):
            reasons.append(f"{self.queries} queries > {self.budget_queries}")
        return reasons


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least `fraction` of the samples at or below it."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def run_measure(bench: Bench, measure, *, runs: int | None = None) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    runs = runs or measure.runs
    result = Result(
        name=measure.name,
        median_ms=None,
        p95_ms=None,
        queries=None,
        budget_ms=measure.budget_ms,
        budget_queries=measure.budget_queries,
        runs=runs,
        note=measure.note,
    )
    try:
        timed = measure.setup(bench)
        for _i in range(measure.warmup):
            timed()
        samples, query_counts = [], []
        for _i in range(runs):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                outcome = timed()
                elapsed = time.perf_counter() - started
            samples.append(float(outcome) if isinstance(outcome, Elapsed) else elapsed * 1000)
            query_counts.append(len(captured))
    except Exception as error:  # a broken measure is reported in the table; the others still run
        result.error = f"{type(error).__name__}: {error}"
        traceback.print_exc()
        return result
    result.median_ms = round(statistics.median(samples), 2)
    result.p95_ms = round(percentile(samples, 0.95), 2)
    result.queries = max(query_counts)
    # A measure whose budget is relative (e.g. report cards against WeasyPrint alone) sets both while it runs.
    result.note = getattr(timed, "note", result.note)
    result.budget_ms = getattr(timed, "budget_ms", result.budget_ms)
    return result


def _number(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def markdown_table(results: list[Result]) -> str:
    lines = [
        "| measure | median ms | p95 ms | budget ms | queries | query budget | runs | result |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        queries = "—" if r.queries is None else r.queries
        query_budget = "—" if r.budget_queries is None else r.budget_queries
        if r.error:
            verdict = f"**ERROR** {r.error}"
        elif r.passed:
            verdict = "pass"
        else:
            verdict = "**OVER BUDGET** (" + "; ".join(r.over_budget()) + ")"
        lines.append(
            f"| {r.name} | {_number(r.median_ms)} | {_number(r.p95_ms)} | {r.budget_ms:,g} | "
            f"{queries} | {query_budget} | "
            f"{r.runs} | {verdict} |"
        )
    return "\n".join(lines)


def environment_summary() -> dict[str, str]:
    import django
    from django.db import connection

    from modules.academics.models import Section
    from modules.people.models import Student

    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "database": f"{connection.vendor} {connection.settings_dict.get('NAME')}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f} at the end (other work on the machine inflates timings)",
        "school": f"{Student.objects.count():,} students, "
        f"{Section.objects.filter(year__is_current=True).count():,} sections this year",
    }


def write_results(results: list[Result], env: dict[str, str], out_dir: Path) -> None:
    data = [
        {
            "name": r.name,
            "median_ms": r.median_ms,
            "p95_ms": r.p95_ms,
            "queries": r.queries,
            "budget_ms": r.budget_ms,
            "budget_queries": r.budget_queries,
            "runs": r.runs,
            "passed": r.passed,
            "note": r.note,
            "error": r.error,
        }
        for r in results
    ]
    (out_dir / "results.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    notes = [f"- {r.name}: {r.note}" for r in results if r.note]
    body = [
        "# StudentFlow benchmark results",
        "",
        "Generated by `make bench` (`python -m bench`); do not edit by hand.",
        "",
        *(f"- {key}: {value}" for key, value in env.items()),
        "",
        "Median and p95 of wall time per run, in-process through django.test.Client, after warm-up runs. "
        "`queries` is the most SQL queries any run made. A measure passes when its median is within the "
        "time budget and its queries within the query budget.",
        "",
        markdown_table(results),
        "",
    ]
    if notes:
        body += ["Notes:", "", *notes, ""]
    (out_dir / "results.md").write_text("\n".join(body), encoding="utf-8")


def prepare_database(stdout) -> None:
    from django.core.management import call_command

    from modules.accounts.demo import demo_school_exists
    from modules.people.models import Student

    call_command("migrate", interactive=False, verbosity=0)
    if demo_school_exists():
        students = Student.objects.count()
        stdout.write(f"Benchmark database ready ({students:,} students).\n")
        if students < 3000:
            stdout.write("Warning: fewer than 3,000 students; this is not the large demo school.\n")
        return
    call_command("seed_demo", size="large", stdout=stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", "--only", help="run only the measures whose name contains this text")
    parser.add_argument("--runs", type=int, help="timed runs per measure (default: each measure's own)")
    parser.add_argument("--out", type=Path, default=BENCH_DIR, help="where results.json/.md go")
    args = parser.parse_args(argv)

    # Always the bench settings: a DJANGO_SETTINGS_MODULE left in the shell must not point this at a real
    # database (DATABASE_URL still chooses the database, on purpose).
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    import django

    django.setup()

    from bench.measures import load_all
    from bench.registry import MEASURES

    prepare_database(sys.stdout)
    load_all()
    chosen = [m for m in MEASURES if not args.only or args.only.lower() in m.name.lower()]
    if not chosen:
        print(f"No measure matches {args.only!r}.", file=sys.stderr)
        return 2
    bench = Bench()
    results = []
    for measure in chosen:
        print(f"… {measure.name}", flush=True)
        results.append(run_measure(bench, measure, runs=args.runs))
    env = environment_summary()
    args.out.mkdir(parents=True, exist_ok=True)
    write_results(results, env, args.out)

    print()
    print(markdown_table(results))
    over = [r for r in results if not r.error and not r.passed]
    broken = [r for r in results if r.error]
    print()
    for r in over:
        print(f"!! OVER BUDGET: {r.name}: {'; '.join(r.over_budget())}")
    for r in broken:
        print(f"!! ERROR: {r.name}: {r.error}")
    if not over and not broken:
        print(f"All {len(results)} measures within budget.")
    print(f"Results written to {args.out / 'results.md'} and {args.out / 'results.json'}.")
    return 1 if broken else 0
