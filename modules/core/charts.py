"""Charts drawn on the server as SVG: a line chart, a bar chart (vertical or horizontal, grouped or
stacked) and a histogram, each with a one-sentence summary and its numbers as a table.

Why SVG from the server and not a JavaScript library: no script to load or vendor, nothing from a CDN, a
chart prints as sharply as text, and it is there without JavaScript. Every figure is computed here once;
the template (`components/charts/chart.html`) only places what this module measured:

- the `<svg role="img">` is named by its `<title>` and described by its `<desc>`, the summary sentence
  (highest, lowest, latest and trend, in the reader's language);
- its numbers are a real `<table>` (caption, `th scope`), the part screen readers and the tests read;
- series are told apart by more than colour: the second series is dashed with square markers (lines) or
  hatched (bars), and the table names each one;
- numbers pass through the reader's number format (`core.numbers.number_text`, or the caller's formatter,
  such as fees' money); category labels arrive already written (dates through `date_format`).

A chart with no number in it says so instead of drawing empty axes (`Chart.is_empty`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from django.utils.translation import gettext as _

from modules.core.numbers import number_text

Number = Decimal | int | None
Formatter = Callable[[Decimal], str]

# The drawing's own units (the SVG scales to its box: viewBox + width 100%).
WIDTH = 400
PLOT_TOP = 16
PLOT_LEFT = 32
PLOT_RIGHT = 12
AXIS_BOTTOM = 40
# The most categories labelled along the x axis (the others are in the table).
MAX_X_LABELS = 8
# Value ticks on an axis (and steps between them), and the width of a character of the axes' text.
TICKS = 4
CHAR_WIDTH = 6.4
# Labels are cut to this many characters on the drawing (the table has them whole).
X_LABEL_CHARS = 14
Y_LABEL_CHARS = 22
# Series styles (CSS classes chart-s0 ... and a hatch or dot pattern per series after the first).
STYLES = 5

_counter = itertools.count(1)


def percent_text(value: Decimal) -> str:
    return _("%(value)s%%") % {"value": number_text(value, 1)}


def count_text(value: Decimal) -> str:
    return number_text(value, 0)


@dataclass
class Series:
    label: str
    values: list[Number]


@dataclass
class Tick:
    position: float
    label: str


@dataclass
class Mark:
    """A bar (x, y, width, height) or a line's point (x, y), with the text it stands for."""

    x: float
    y: float
    width: float = 0
    height: float = 0
    text: str = ""


@dataclass
class DrawnSeries:
    label: str
    style: int
    marks: list[Mark] = field(default_factory=list)
    points: str = ""  # a line's polyline points ("x,y x,y ...")


@dataclass
class Row:
    label: str
    cells: list[str]


@dataclass
class Chart:
    """What the template draws. Build one with `line_chart`, `bar_chart` or `histogram`."""

    kind: str  # "trend" (a line chart), "bar", "hbar"
    title: str
    summary: str
    categories: list[str]
    series: list[DrawnSeries]
    rows: list[Row]
    headers: list[str]
    category_header: str
    height: int
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    plot_bottom: float = 0
    plot_right: float = WIDTH - PLOT_RIGHT
    plot_left: float = PLOT_LEFT
    is_empty: bool = False
    empty_text: str = ""
    uid: str = ""
    width: int = WIDTH

    @property
    def hatched(self) -> list[int]:
        """The styles drawn with a pattern (every series after the first)."""
        return [s.style for s in self.series if s.style > 0]


# --- scales ------------------------------------------------------------------------------------------------


def nice_ceiling(value: Decimal) -> Decimal:
    """The smallest 1, 2, 2.5 or 5 × 10^n at or above `value` (the axis's top)."""
    if value <= 0:
        return Decimal(1)
    exponent = math.floor(math.log10(float(value)))
    base = Decimal(10) ** exponent
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if value <= base * step:
            return base * step
    return base * 10  # pragma: no cover - the loop ends at 10


def _numbers(series: Sequence[Series]) -> list[Decimal]:
    return [Decimal(value) for s in series for value in s.values if value is not None]


def _axis_top(series: Sequence[Series], *, percent: bool, stacked: bool) -> Decimal:
    """100 for percentages; else TICKS round steps covering the largest value (or stack), whole steps
    when every value is whole (counts, money in whole units): no "0.25 students" on an axis."""
    if percent:
        return Decimal(100)
    numbers = _numbers(series)
    if stacked:
        numbers = [
            sum((Decimal(s.values[i] or 0) for s in series), Decimal(0)) for i in range(len(series[0].values))
        ]
    step = nice_ceiling(max(numbers, default=Decimal(0)) / TICKS)
    if all(number == number.to_integral_value() for number in numbers):
        step = max(Decimal(1), step.to_integral_value(rounding=ROUND_CEILING))
    return step * TICKS


def _value_ticks(top: Decimal, fmt: Formatter) -> list[tuple[Decimal, str]]:
    step = top / TICKS
    return [(step * i, fmt(step * i)) for i in range(TICKS + 1)]


def axis_percent_text(value: Decimal) -> str:
    return _("%(value)s%%") % {"value": number_text(value.normalize())}


def axis_number_text(value: Decimal) -> str:
    return number_text(value.normalize())


def _text_width(labels: Sequence[str], limit: int) -> float:
    """About how wide (in the drawing's units) the longest label is, at the chart's 11 px text."""
    return max((min(len(label), limit) for label in labels), default=0) * CHAR_WIDTH


# --- the summary ---------------------------------------------------------------------------------------


def _trend_word(values: list[Decimal]) -> str:
    if len(values) < 2:
        return ""
    first, last = values[0], values[-1]
    spread = max(values) - min(values)
    if spread == 0 or abs(last - first) * 20 <= spread:
        return _("steady")
    return _("rising") if last > first else _("falling")


def summarise(
    title: str, categories: Sequence[str], series: Sequence[Series], fmt: Formatter, *, over_time: bool
) -> str:
    """One sentence per series: highest, lowest, and for a chart over time the latest and the trend."""
    sentences = []
    for s in series:
        pairs = [(categories[i], Decimal(v)) for i, v in enumerate(s.values) if v is not None]
        if not pairs:
            continue
        high = max(pairs, key=lambda pair: pair[1])
        low = min(pairs, key=lambda pair: pair[1])
        parts = {
            "series": s.label,
            "high": fmt(high[1]),
            "high_at": high[0],
            "low": fmt(low[1]),
            "low_at": low[0],
        }
        text = _("%(series)s: highest %(high)s (%(high_at)s), lowest %(low)s (%(low_at)s)") % parts
        if over_time:
            values = [pair[1] for pair in pairs]
            text += _(", latest %(latest)s (%(latest_at)s)") % {
                "latest": fmt(pairs[-1][1]),
                "latest_at": pairs[-1][0],
            }
            trend = _trend_word(values)
            if trend:
                text += _(", %(trend)s") % {"trend": trend}
        sentences.append(text + ".")
    return " ".join(sentences) if sentences else _("%(title)s: no figures yet.") % {"title": title}


# --- building ---------------------------------------------------------------------------------------------


def _cell(value: Number, fmt: Formatter) -> str:
    return "–" if value is None else fmt(Decimal(value))


def _table(
    categories: Sequence[str], series: Sequence[Series], fmt: Formatter, *, total: bool = False
) -> tuple[list[str], list[Row]]:
    headers = [s.label for s in series]
    rows = []
    for index, category in enumerate(categories):
        cells = [_cell(s.values[index], fmt) for s in series]
        if total:
            cells.append(fmt(sum((Decimal(s.values[index] or 0) for s in series), Decimal(0))))
        rows.append(Row(label=category, cells=cells))
    if total:
        headers.append(_("Total"))
    return headers, rows


def _base(
    kind: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    fmt: Formatter,
    *,
    category_header: str,
    empty_text: str,
    over_time: bool,
    height: int,
    total: bool = False,
) -> Chart:
    if len(series) > STYLES:
        raise ValueError(f"A chart draws at most {STYLES} series.")
    for s in series:
        if len(s.values) != len(categories):
            raise ValueError(
                f"Series {s.label!r} has {len(s.values)} values for {len(categories)} categories."
            )
    headers, rows = _table(categories, series, fmt, total=total)
    numbers = _numbers(series)
    return Chart(
        kind=kind,
        title=title,
        summary=summarise(title, categories, series, fmt, over_time=over_time),
        categories=list(categories),
        series=[DrawnSeries(label=s.label, style=index) for index, s in enumerate(series)],
        rows=rows,
        headers=headers,
        category_header=category_header,
        height=height,
        plot_bottom=height - AXIS_BOTTOM,
        is_empty=not numbers or not any(numbers),
        empty_text=empty_text or _("No figures to show yet."),
        uid=f"chart-{next(_counter)}",
    )


def _x_ticks(chart: Chart, centres: list[float]) -> None:
    """Label every category that fits: at most MAX_X_LABELS, none overlapping its neighbour."""
    span = chart.plot_right - chart.plot_left
    room = (_text_width(chart.categories, X_LABEL_CHARS) + 8) * len(centres) / span if span > 0 else 1
    step = max(1, math.ceil(len(centres) / MAX_X_LABELS), math.ceil(room))
    chart.x_ticks = [
        Tick(position=round(x, 1), label=chart.categories[i]) for i, x in enumerate(centres) if i % step == 0
    ]


def _y_scale(chart: Chart, top: Decimal, fmt: Formatter) -> Callable[[Decimal], float]:
    """The y position of a value; sets the value ticks, and the left margin their labels need."""
    span = chart.plot_bottom - PLOT_TOP
    ticks = _value_ticks(top, fmt)
    chart.plot_left = max(PLOT_LEFT, 12 + _text_width([label for _value, label in ticks], 20))

    def y(value: Decimal) -> float:
        return round(chart.plot_bottom - float(value / top) * span, 1)

    chart.y_ticks = [Tick(position=y(value), label=label) for value, label in ticks]
    return y


def line_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    fmt: Formatter = count_text,
    percent: bool = False,
    category_header: str = "",
    empty_text: str = "",
    height: int = 240,
) -> Chart:
    """One line per series (two at most for a clear picture: this year and last year), over ordered
    categories (weeks, months). A missing value (None) breaks nothing: the line joins the points it has."""
    chart = _base(
        "trend",
        title,
        categories,
        series,
        fmt,
        category_header=category_header,
        empty_text=empty_text,
        over_time=True,
        height=height,
    )
    if chart.is_empty:
        return chart
    top = _axis_top(series, percent=percent, stacked=False)
    y = _y_scale(chart, top, axis_percent_text if percent else axis_number_text)
    count = len(categories)
    span = chart.plot_right - chart.plot_left
    centres = [chart.plot_left + (span * (i + 0.5) / count) for i in range(count)]
    _x_ticks(chart, centres)
    for drawn, s in zip(chart.series, series, strict=True):
        for i, value in enumerate(s.values):
            if value is None:
                continue
            drawn.marks.append(
                Mark(
                    x=round(centres[i], 1),
                    y=y(Decimal(value)),
                    text=f"{categories[i]}: {fmt(Decimal(value))}",
                )
            )
        drawn.points = " ".join(f"{mark.x},{mark.y}" for mark in drawn.marks)
    return chart


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    fmt: Formatter = count_text,
    percent: bool = False,
    stacked: bool = False,
    horizontal: bool = False,
    over_time: bool = False,
    category_header: str = "",
    empty_text: str = "",
) -> Chart:
    """Bars per category: side by side for several series (grouped), or one on another (`stacked`, whose
    table gets a total column). Horizontal bars suit long labels (grade levels, subjects)."""
    height = 40 + max(len(categories), 1) * 28 if horizontal else 240
    chart = _base(
        "hbar" if horizontal else "bar",
        title,
        categories,
        series,
        fmt,
        category_header=category_header,
        empty_text=empty_text,
        over_time=over_time,
        height=height,
        total=stacked and len(series) > 1,
    )
    if chart.is_empty:
        return chart
    top = _axis_top(series, percent=percent, stacked=stacked)
    axis = axis_percent_text if percent else axis_number_text
    if horizontal:
        chart.plot_left = max(PLOT_LEFT, 12 + _text_width(chart.categories, Y_LABEL_CHARS))
        _horizontal_bars(chart, series, top, fmt, axis, stacked=stacked)
    else:
        _vertical_bars(chart, series, top, fmt, axis, stacked=stacked)
    return chart


def _slots(start: float, span: float, count: int, groups: int) -> tuple[list[float], float]:
    """Each category's first bar position and a bar's thickness (a fifth of each slot is left as a gap)."""
    slot = span / count
    thickness = slot * 0.8 / groups
    return [start + slot * i + slot * 0.1 for i in range(count)], thickness


def _vertical_bars(
    chart: Chart, series: Sequence[Series], top: Decimal, fmt: Formatter, axis: Formatter, *, stacked: bool
) -> None:
    y = _y_scale(chart, top, axis)
    count = len(chart.categories)
    groups = 1 if stacked else len(series)
    starts, thickness = _slots(chart.plot_left, chart.plot_right - chart.plot_left, count, groups)
    _x_ticks(chart, [start + thickness * groups / 2 for start in starts])
    base = [Decimal(0)] * count
    for index, (drawn, s) in enumerate(zip(chart.series, series, strict=True)):
        for i, value in enumerate(s.values):
            if not value:
                continue
            low, high = (base[i], base[i] + Decimal(value)) if stacked else (Decimal(0), Decimal(value))
            x = starts[i] + (0 if stacked else thickness * index)
            drawn.marks.append(
                Mark(
                    x=round(x, 1),
                    y=y(high),
                    width=round(thickness, 1),
                    height=round(y(low) - y(high), 1),
                    text=f"{chart.categories[i]}, {s.label}: {fmt(Decimal(value))}",
                )
            )
            if stacked:
                base[i] = high


def _horizontal_bars(
    chart: Chart, series: Sequence[Series], top: Decimal, fmt: Formatter, axis: Formatter, *, stacked: bool
) -> None:
    span = chart.plot_right - chart.plot_left

    def x(value: Decimal) -> float:
        return round(chart.plot_left + float(value / top) * span, 1)

    chart.x_ticks = [Tick(position=x(value), label=label) for value, label in _value_ticks(top, axis)]
    count = len(chart.categories)
    groups = 1 if stacked else len(series)
    starts, thickness = _slots(PLOT_TOP, chart.plot_bottom - PLOT_TOP, count, groups)
    chart.y_ticks = [
        Tick(position=round(start + thickness * groups / 2, 1), label=chart.categories[i])
        for i, start in enumerate(starts)
    ]
    base = [Decimal(0)] * count
    for index, (drawn, s) in enumerate(zip(chart.series, series, strict=True)):
        for i, value in enumerate(s.values):
            if not value:
                continue
            low, high = (base[i], base[i] + Decimal(value)) if stacked else (Decimal(0), Decimal(value))
            drawn.marks.append(
                Mark(
                    x=x(low),
                    y=round(starts[i] + (0 if stacked else thickness * index), 1),
                    width=round(x(high) - x(low), 1),
                    height=round(thickness, 1),
                    text=f"{chart.categories[i]}, {s.label}: {fmt(Decimal(value))}",
                )
            )
            if stacked:
                base[i] = high


def histogram(
    title: str,
    buckets: Sequence[tuple[str, int]],
    *,
    series_label: str = "",
    category_header: str = "",
    empty_text: str = "",
) -> Chart:
    """A distribution: counts per bucket (marks in 10% bands), bars touching one another."""
    return bar_chart(
        title,
        [label for label, _count in buckets],
        [Series(series_label or _("Count"), [count for _label, count in buckets])],
        fmt=count_text,
        category_header=category_header,
        empty_text=empty_text,
    )
