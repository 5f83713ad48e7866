"""The chart mechanism (modules/core/charts.py and its template): an SVG named and described by a summary,
its numbers as a table, numbers in the reader's language, and no empty axes when there is nothing to draw."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape

from modules.core.charts import Series, bar_chart, histogram, line_chart, nice_ceiling, percent_text
from modules.core.numbers import number_text


def _render(chart) -> str:
    return render_to_string("components/charts/chart.html", {"chart": chart})


def chart_rows(html: str, title: str) -> list[list[str]] | None:
    """The rows of the table of the chart named `title` on a page (None: no such chart, [] when it says
    there is nothing to draw), as the text of their cells."""
    caption = f'<figcaption class="chart-title">{escape(title)}</figcaption>'
    for figure in html.split('<figure class="chart"')[1:]:
        if caption in figure:
            figure = figure.split("</figure>", 1)[0]
            return _table(figure) if "<tbody>" in figure else []
    return None


def chart_titles(html: str) -> list[str]:
    return [
        unescape(title) for title in re.findall(r'<figcaption class="chart-title">(.*?)</figcaption>', html)
    ]


def _table(html: str) -> list[list[str]]:
    """The data table's rows as text cells (th and td alike)."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in rows
    ]


def test_it_draws_a_line_chart_named_and_described_with_its_numbers_as_a_table():
    chart = line_chart(
        "Attendance rate by week",
        ["Week 1", "Week 2", "Week 3"],
        [Series("2025/2026", [Decimal("91.5"), Decimal("88.0"), Decimal("95.2")])],
        fmt=percent_text,
        percent=True,
        category_header="Week",
    )
    html = _render(chart)

    assert '<svg class="chart-svg chart-trend"' in html
    assert f'role="img" aria-labelledby="{chart.uid}-title {chart.uid}-desc"' in html
    assert f'<title id="{chart.uid}-title">Attendance rate by week</title>' in html
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", html).group(1)
    assert desc == (
        "2025/2026: highest 95.2% (Week 3), lowest 88.0% (Week 2), latest 95.2% (Week 3), rising."
    )
    assert "<caption>Attendance rate by week</caption>" in html
    assert '<th scope="col">Week</th>' in html
    assert _table(html) == [["Week 1", "91.5%"], ["Week 2", "88.0%"], ["Week 3", "95.2%"]]
    assert html.count('class="chart-point"') == 3


def test_it_tells_two_series_apart_by_more_than_colour():
    chart = line_chart(
        "This year and last",
        ["Week 1", "Week 2"],
        [Series("This year", [90, 92]), Series("Last year", [85, 80])],
    )
    html = _render(chart)

    # The first series has round markers, the second square ones (and a dashed line, in charts.css), and
    # the legend names both.
    assert html.count('<circle class="chart-point"') == 2
    assert html.count('<rect class="chart-point"') == 2
    assert 'class="chart-legend' in html
    assert "Last year" in html.split('class="chart-legend', 1)[1]
    assert _table(html) == [["Week 1", "90", "85"], ["Week 2", "92", "80"]]


def test_it_hatches_grouped_bars_of_a_second_series():
    chart = bar_chart(
        "Billed and collected", ["Sept", "Oct"], [Series("Billed", [100, 200]), Series("Collected", [50, 0])]
    )
    html = _render(chart)

    assert f'<pattern id="{chart.uid}-p1"' in html
    assert (
        html.count(f'fill="url(#{chart.uid}-p1)"') == 2
    )  # one bar (a zero draws none) and the legend's swatch
    assert html.count('class="chart-bar"') == 3 + 2  # three bars, two swatches


def test_it_stacks_bars_with_a_total_column():
    chart = bar_chart(
        "Absence",
        ["Grade 7", "Grade 8"],
        [Series("Unauthorised", [3, 1]), Series("Authorised", [2, 0])],
        stacked=True,
        horizontal=True,
        category_header="Grade level",
    )
    html = _render(chart)

    assert '<th scope="col" class="text-end">Total</th>' in html
    assert _table(html) == [["Grade 7", "3", "2", "5"], ["Grade 8", "1", "0", "1"]]
    # Stacked: the second bar of Grade 7 starts where the first ends.
    first, second = chart.series[0].marks[0], chart.series[1].marks[0]
    assert second.x == pytest.approx(first.x + first.width, abs=0.2)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("es", ["1\u202f234,50", "12,5"]), ("fr", ["1\u202f234,50", "12,5"]), ("en", ["1,234.50", "12.5%"])],
)
def test_it_writes_numbers_in_the_readers_language(settings, language, expected):
    settings.USE_THOUSAND_SEPARATOR = True
    with translation.override(language):
        money = bar_chart(
            "Money",
            ["A"],
            [Series("Amount", [Decimal("1234.50")])],
            fmt=lambda value: number_text(value, 2),
        )
        rate = line_chart("Rate", ["A"], [Series("Rate", [Decimal("12.5")])], fmt=percent_text, percent=True)
        money_html, rate_html = _render(money), _render(rate)

    money_cell = _table(money_html)[0][1]
    rate_cell = _table(rate_html)[0][1]
    assert money_cell.replace("\xa0", "\u202f") == expected[0]
    assert rate_cell.startswith(expected[1])
    # The drawing's own coordinates stay machine numbers whatever the language.
    assert re.search(r'<rect class="chart-bar" x="\d+(\.\d+)?" y="\d+(\.\d+)?"', money_html)


def test_it_says_so_instead_of_drawing_an_empty_chart():
    chart = line_chart(
        "Attendance", ["Week 1", "Week 2"], [Series("Rate", [None, None])], empty_text="Nothing yet."
    )
    html = _render(chart)

    assert chart.is_empty
    assert "<svg" not in html
    assert "<table" not in html
    assert "Nothing yet." in html


def test_it_draws_a_distribution():
    chart = histogram("Marks", [("0–10%", 0), ("10–20%", 2), ("20–30%", 5)], series_label="Students")
    html = _render(chart)

    assert _table(html) == [["0–10%", "0"], ["10–20%", "2"], ["20–30%", "5"]]
    assert "Students: highest 5 (20–30%), lowest 0 (0–10%)." in html


def test_it_refuses_a_series_that_does_not_fit_its_categories():
    with pytest.raises(ValueError, match="has 1 values for 2 categories"):
        line_chart("Bad", ["A", "B"], [Series("S", [1])])


def test_it_puts_the_axis_top_on_a_round_number():
    assert [nice_ceiling(Decimal(value)) for value in ("7", "13", "240", "0.3", "1000")] == [
        Decimal(10),
        Decimal(20),
        Decimal("250"),
        Decimal("0.5"),
        Decimal(1000),
    ]
