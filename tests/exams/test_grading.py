"""Averages and letters from marks: the rules every page and the report card share."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from modules.exams.grading import AssessmentInfo, MarkValue, average, band_for, weighted_percent
from modules.exams.models import GradeBand, GradingScale

A = {1: AssessmentInfo(1, D(20), 10), 2: AssessmentInfo(2, D(50), 20), 3: AssessmentInfo(3, D(10), 10)}


def test_it_adds_plain_points_over_maximums():
    marks = [MarkValue(1, D(15), ""), MarkValue(2, D(40), "")]
    assert weighted_percent(marks, A, None) == D("78.6")  # 55 / 70


def test_it_weights_categories_and_scales_up_when_one_has_nothing_yet():
    weights = {10: D(30), 20: D(70)}
    marks = [MarkValue(1, D(10), ""), MarkValue(3, D(10), ""), MarkValue(2, D(25), "")]
    # category 10: 20/30 = 66.67 %, category 20: 25/50 = 50 % → 0.3 × 66.67 + 0.7 × 50 = 55.0
    assert weighted_percent(marks, A, weights) == D("55.0")
    assert weighted_percent([MarkValue(2, D(25), "")], A, weights) == D("50.0")


def test_it_leaves_excused_out_and_counts_missing_and_absent_as_zero():
    assert weighted_percent([MarkValue(1, None, "ex"), MarkValue(3, D(5), "")], A, None) == D("50.0")
    assert weighted_percent([MarkValue(1, None, "m"), MarkValue(3, D(10), "")], A, None) == D("33.3")
    assert weighted_percent([MarkValue(1, None, "abs")], A, None) == D("0.0")
    assert weighted_percent([MarkValue(1, None, "ex")], A, None) is None


@pytest.mark.django_db
def test_it_gives_the_letter_of_the_band_and_whether_it_passes():
    scale = GradingScale.objects.create(name="Default", pass_mark=D(50))
    for letter, low in [("A", 90), ("B", 80), ("C", 65), ("D", 50), ("F", 0)]:
        GradeBand.objects.create(scale=scale, letter=letter, min_percent=D(low), gpa_points=D(4))
    bands = sorted(scale.bands.all(), key=lambda band: band.min_percent, reverse=True)
    assert band_for(D("89.9"), bands).letter == "B"
    assert band_for(D("90"), bands).letter == "A"
    result = average(D("49.9"), scale, bands)
    assert (result.letter, result.passed) == ("F", False)
    assert average(None, scale, bands).letter == ""
