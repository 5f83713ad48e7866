"""The bursar's dashboard: payments by day and method as the collections page has them, what is owed by
days past due as the aging page has it, and what falls due week by week adding up to the aging page's
"not yet due"."""

from __future__ import annotations

import re
from decimal import Decimal

from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from modules.fees.money import format_money
from tests.fees.report_data import days, make_books
from tests.reports.test_charts import chart_rows

URL = "/reports/"


def _value(text: str) -> Decimal:
    return Decimal(re.sub(r"[^0-9.\-]", "", text))


def test_it_gives_payments_by_day_and_method_as_the_collections_page(weekday, school, bursar, as_user):
    make_books(school, bursar)
    client = as_user(bursar)
    start = days(-29)

    rows = chart_rows(client.get(URL).content.decode(), "Payments received by day and method")

    assert len(rows) == 30
    # The bank transfer was received 30 days ago: a day before the chart's first.
    for column, method in enumerate(("cash",)):
        report = client.get(
            reverse("fees:collections"),
            {"start": start.isoformat(), "end": days(0).isoformat(), "method": method},
        ).context["report"]
        assert report.days
        for day in report.days:
            row = next(row for row in rows if row[0] == date_format(day.day, "MONTH_DAY_FORMAT"))
            assert row[1 + column] == format_money(day.received)
    today_row = rows[-1]
    assert _value(today_row[1]) == Decimal("200.00")  # Sam's cash
    assert _value(today_row[-1]) == Decimal("200.00")  # the day's total


def test_it_gives_what_is_owed_by_days_past_due_as_the_aging_page(weekday, school, bursar, as_user):
    make_books(school, bursar)
    client = as_user(bursar)
    total = client.get(reverse("fees:aging")).context["report"].total

    rows = chart_rows(client.get(URL).content.decode(), "Owed by days past due")

    assert rows == [[str(bucket.label), format_money(amount)] for bucket, amount in total.cells]


def test_it_spreads_what_is_not_yet_due_over_the_weeks_it_falls_due(weekday, school, bursar, as_user):
    make_books(school, bursar)
    client = as_user(bursar)
    not_yet_due = client.get(reverse("fees:aging")).context["report"].total.amounts[0]

    rows = chart_rows(client.get(URL).content.decode(), "Falling due by week")

    assert len(rows) == 9  # eight weeks from today, and later
    # Invoice A (500, due in 5 days) in the first week, D (paid) nothing, C (credited) nothing.
    assert _value(rows[0][1]) == Decimal("500.00")
    assert sum((_value(row[1]) for row in rows), Decimal(0)) == not_yet_due


def test_it_pins_the_bursars_queries(weekday, school, bursar, as_user, queries_exactly):
    make_books(school, bursar)
    client = as_user(bursar)
    client.get(URL)
    with queries_exactly(6):
        assert client.get(URL).status_code == 200


def test_it_writes_the_figures_in_the_readers_language(weekday, school, bursar, as_user):
    """A bursar reading in French: amounts with a decimal comma and days named in French, in the tables as
    in the summaries."""
    make_books(school, bursar)
    bursar.language = "fr"
    bursar.save()

    html = as_user(bursar).get(URL).content.decode()

    with translation.override("fr"):
        today = date_format(days(0), "MONTH_DAY_FORMAT")
    assert 'lang="fr"' in html
    assert "500,00" in html
    assert "500.00" not in html
    assert f'<th scope="row">{today}</th>' in html
