"""The measure registry. A module in bench/measures/ registers its measures with `@measure`:

    @measure("home: teacher", budget_ms=40, budget_queries=12)
    def teacher_home(bench: Bench) -> Callable[[], object]:
        client = bench.client_for(TEACHER_EMAIL)          # setup: not timed
        return lambda: bench.get(client, "/")              # the timed run

The decorated function is the setup: it runs once and returns the callable that is timed. The runner
calls that callable `warmup` times untimed, then `runs` times timed, counting SQL queries on every run.
A run whose measure is only part of what the call does (a browser flow: the page is opened before the
user's first step and read after their last) times that part itself and returns it as `Elapsed(ms)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.runner import Bench


class Elapsed(float):
    """A run's own time in milliseconds, returned by the timed callable: the runner takes it instead of the
    wall time around the call."""


DEFAULT_RUNS = 30
DEFAULT_WARMUP = 3


@dataclass(frozen=True)
class Measure:
    name: str
    setup: Callable[[Bench], Callable[[], object]]
    budget_ms: float
    budget_queries: int | None
    runs: int
    warmup: int
    note: str


MEASURES: list[Measure] = []


def measure(
    name: str,
    *,
    budget_ms: float,
    budget_queries: int | None = None,
    runs: int = DEFAULT_RUNS,
    warmup: int = DEFAULT_WARMUP,
    note: str = "",
):
    def register(setup: Callable[[Bench], Callable[[], object]]):
        if any(existing.name == name for existing in MEASURES):
            raise ValueError(f"Two benchmark measures are named {name!r}.")
        MEASURES.append(Measure(name, setup, budget_ms, budget_queries, runs, warmup, note))
        return setup

    return register
