"""How marks become an average and a letter. Pure functions over rows already loaded: no queries here.

Rules (shown on the report card's grading key):
- A score counts score/maximum; "missing" and "absent" count as zero; "excused" does not count.
- With categories, each category's percentage is its scores over its maximums, and the average is the
  categories' percentages weighted by their weights (categories with nothing counted yet are left out and the
  others' weights scaled up). Without categories, plain points: all scores over all maximums.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple, Protocol

from modules.exams.models import GradeBand, GradingScale, MarkCode

HUNDRED = Decimal(100)
ONE_DECIMAL = Decimal("0.1")


@dataclass(frozen=True)
class MarkValue:
    """What the averaging needs of a mark (works for model instances or values() rows)."""

    assessment_id: int
    score: Decimal | None
    code: str


@dataclass(frozen=True)
class AssessmentInfo:
    pk: int
    max_score: Decimal
    category_id: int | None


@dataclass(frozen=True)
class Average:
    percent: Decimal | None  # None: nothing counted yet
    letter: str = ""
    gpa: Decimal | None = None
    descriptor: str = ""
    passed: bool | None = None


class BandLike(Protocol):
    """What a letter needs of a grade band: a GradeBand row, or a Band read some other way."""

    @property
    def letter(self) -> str: ...
    @property
    def min_percent(self) -> Decimal: ...
    @property
    def gpa_points(self) -> Decimal: ...
    @property
    def descriptor(self) -> str: ...


class ScaleLike(Protocol):
    @property
    def pass_mark(self) -> Decimal: ...


class Band(NamedTuple):
    """A grade band without its model instance (the one-cell save reads the bands as JSON)."""

    letter: str
    min_percent: Decimal
    gpa_points: Decimal
    descriptor: str


class Scale(NamedTuple):
    pass_mark: Decimal


def percent(part: Decimal, whole: Decimal) -> Decimal:
    return (part * HUNDRED / whole).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def weighted_percent(
    marks: Iterable[MarkValue],
    assessments: dict[int, AssessmentInfo],
    weights: dict[int, Decimal] | None,
) -> Decimal | None:
    """One student's average over their marks (see the module docstring). `weights`: category id → weight,
    or None/empty for plain points."""
    scored: dict[int | None, list[Decimal]] = {}
    for mark in marks:
        assessment = assessments.get(mark.assessment_id)
        if assessment is None or mark.code == MarkCode.EXCUSED:
            continue
        if mark.score is None and not mark.code:
            continue
        score = mark.score if mark.score is not None else Decimal(0)
        key = assessment.category_id if weights else None
        totals = scored.setdefault(key, [Decimal(0), Decimal(0)])
        totals[0] += score
        totals[1] += assessment.max_score
    if not scored:
        return None
    if not weights:
        got, out_of = scored[None]
        return percent(got, out_of) if out_of else None
    weighted = Decimal(0)
    used = Decimal(0)
    for category_id, (got, out_of) in scored.items():
        weight = weights.get(category_id) if category_id is not None else None
        if not weight or not out_of:
            continue
        weighted += weight * got / out_of
        used += weight
    if not used:
        return None
    return (weighted * HUNDRED / used).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def band_for[B: BandLike](value: Decimal | None, bands: Sequence[B]) -> B | None:
    """The band a percentage falls in (bands sorted by min_percent, highest first)."""
    if value is None:
        return None
    for band in bands:
        if value >= band.min_percent:
            return band
    return None


def average(value: Decimal | None, scale: ScaleLike | None, bands: Sequence[BandLike]) -> Average:
    band = band_for(value, bands)
    passed = None if value is None or scale is None else value >= scale.pass_mark
    return Average(
        percent=value,
        letter=band.letter if band else "",
        gpa=band.gpa_points if band else None,
        descriptor=band.descriptor if band else "",
        passed=passed,
    )


def scale_and_bands(grade_level_id: int | None) -> tuple[GradingScale | None, list[GradeBand]]:
    """The grading scale of a grade level (or the school default) with its bands, highest first. One query."""
    scales = (
        GradingScale.objects.filter(grade_level_id=grade_level_id)
        if grade_level_id
        else GradingScale.objects.none()
    )
    scale = scales.prefetch_related("bands").first() or (
        GradingScale.objects.filter(grade_level__isnull=True).prefetch_related("bands").first()
    )
    if scale is None:
        return None, []
    return scale, sorted(scale.bands.all(), key=lambda band: band.min_percent, reverse=True)
