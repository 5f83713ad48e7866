"""Dates and numbers follow the reader's language: one long and one short date per language (portal/formats),
decimals with a comma in Spanish and French, and no literal date pattern left in a template."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal as D
from pathlib import Path

import pytest
from django import forms
from django.db.models.fields import BLANK_CHOICE_LABEL
from django.urls import reverse
from django.utils import translation
from django.utils.dateformat import format as date_pattern
from django.utils.dates import MONTHS, MONTHS_3, WEEKDAYS, WEEKDAYS_ABBR
from django.utils.formats import date_format, get_format

from modules.exams import report_cards
from modules.exams.models import AssessmentCategory, GradeBand
from modules.fees import ledger
from tests import factories as f
from tests.exams.test_report_card_fixtures import grading_scale

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
FRIDAY = datetime.date(2026, 12, 4)
# The long form (running text, headings) and the short form (tables, SMS) of Friday 4 December 2026.
LONG = {
    "en": "Friday 4 December 2026",
    "es": "viernes 4 de diciembre de 2026",
    "fr": "vendredi 4 décembre 2026",
}
SHORT = {"en": "4 Dec 2026", "es": "04/12/2026", "fr": "04/12/2026"}


def speaking(user, language: str):
    user.language = language
    user.save(update_fields=["language"])
    return user


def long_date_in(page: str, language: str) -> bool:
    """The long date, weekday and month lowercase in Spanish and French ("du vendredi 4 décembre 2026")."""
    return LONG[language] in page


def test_it_defines_one_long_and_one_short_form_per_language():
    for language in ("en", "es", "fr"):
        with translation.override(language):
            assert date_format(FRIDAY, "DATE_FORMAT") == LONG[language]
            assert date_format(FRIDAY, "SHORT_DATE_FORMAT") == SHORT[language]
            # What <input type="date"> sends is read in every language, and widgets render it first.
            assert get_format("DATE_INPUT_FORMATS")[0] == "%Y-%m-%d"
    with translation.override("es"):
        assert date_format(FRIDAY, "MONTH_DAY_FORMAT") == "4 de diciembre"
        assert date_format(FRIDAY, "YEAR_MONTH_FORMAT") == "diciembre de 2026"
    with translation.override("fr"):
        assert date_format(FRIDAY, "YEAR_MONTH_FORMAT") == "décembre 2026"


@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_a_date_field_renders_and_reads_what_a_date_input_sends(language):
    """A date widget without its own format renders the first input format: ISO, or the browser shows an
    empty <input type="date">. Typed day-first dates are read too."""

    class Period(forms.Form):
        start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    with translation.override(language):
        assert 'value="2026-12-04"' in str(Period(initial={"start": FRIDAY})["start"])
        for typed in ("2026-12-04", "04/12/2026"):
            form = Period(data={"start": typed})
            assert form.is_valid()
            assert form.cleaned_data["start"] == FRIDAY


@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_a_register_shows_its_day_in_the_long_form(school, teacher, as_user, language):
    register = f.RegisterFactory(section=school.section, date=FRIDAY)
    f.AttendanceRecordFactory(register=register, student=school.child, status="present")
    page = as_user(speaking(teacher, language)).get(reverse("attendance:register_detail", args=[register.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert long_date_in(text, language)
    assert "2026-12-04</" not in text
    assert "12/04/2026" not in text


@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_the_family_fees_page_shows_due_dates_long_and_payments_short(
    school, guardian, bursar, as_user, language
):
    f.InvoiceFactory(year=school.year, student=school.child, total=D("1234.50"), due_date=FRIDAY)
    payment = ledger.record_payment(
        student_id=school.child.pk, amount=D("10.00"), method="cash", key="fmt", by=bursar
    ).payment
    type(payment).objects.filter(pk=payment.pk).update(received_on=FRIDAY)
    text = as_user(speaking(guardian, language)).get(reverse("fees:family")).content.decode()
    assert long_date_in(text, language)
    assert SHORT[language] in text
    amount = {"en": "USD 1,234.50", "es": "USD 1\xa0234,50", "fr": "USD 1\xa0234,50"}[language]
    assert amount in text


@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_an_invoice_shows_its_dates_in_the_long_form(school, bursar, as_user, language):
    invoice = f.InvoiceFactory(year=school.year, student=school.child, due_date=FRIDAY)
    type(invoice).objects.filter(pk=invoice.pk).update(issued_on=FRIDAY - datetime.timedelta(days=14))
    text = (
        as_user(speaking(bursar, language))
        .get(reverse("fees:invoice_detail", args=[invoice.pk]))
        .content.decode()
    )
    assert long_date_in(text, language)
    issued = {
        "en": "Friday 20 November 2026",
        "es": "viernes 20 de noviembre de 2026",
        "fr": "vendredi 20 novembre 2026",
    }
    assert issued[language] in text


@pytest.mark.parametrize(
    ("language", "mark", "average"),
    [("en", "5.5/10", "55.0%"), ("es", "5,5/10", "55,0%"), ("fr", "5,5/10", "55,0%")],
)
def test_a_report_card_writes_marks_and_percentages_in_the_readers_language(school, language, mark, average):
    quiz = f.AssessmentFactory(offering=school.offering, term=school.term, name="Quiz", max_score=10)
    f.MarkFactory(assessment=quiz, student=school.child, score=D("5.5"))
    with translation.override(language):
        batch = report_cards.cards_build(
            term=school.term, student_ids=[school.child.pk], published_only=False
        )
        html = report_cards.cards_html(batch)
    assert f"Quiz {mark}" in html
    assert average in html
    short_start = {"en": "j M Y", "es": "d/m/Y", "fr": "d/m/Y"}[language]
    with translation.override(language):
        assert date_pattern(school.term.start_date, short_start) in html
    # No English decimal point next to a Spanish or French comma ("64,8%" beside "5.5/10").
    if language != "en":
        assert not re.search(
            r"\d\.\d", re.sub(r"<style.*?</style>", "", html, flags=re.S).split("</head>")[-1]
        )


def test_the_empty_choice_of_a_select_is_in_spanish_and_french():
    """Django 6's "- Select an option -" has no Spanish in Django's catalogue; ours carries it
    (modules/core/vendor_strings.py)."""
    for language in ("es", "fr"):
        with translation.override(language):
            assert str(BLANK_CHOICE_LABEL) not in ("", "- Select an option -")


def test_a_table_pager_is_in_the_readers_language(school, admin, as_user):
    for number in range(5):
        f.StudentFactory(first_name=f"Pupil{number}", last_name="Pager", admission_number=f"P-{number:04d}")
    text = as_user(speaking(admin, "es")).get(reverse("people:student_list") + "?per_page=2").content.decode()
    assert "Table navigation" not in text  # tables2's own label, in no catalogue
    assert '<nav aria-label="Páginas"' in text
    assert "Siguiente" in text
    assert 'aria-current="page"' in text


def test_number_inputs_keep_the_dot_in_spanish(school, teacher, admin, as_user):
    """<input type="number"> drops "25,5": the value a browser reads back stays machine-readable."""
    AssessmentCategory.objects.create(offering=school.offering, name="Homework", weight=D("25.5"))
    AssessmentCategory.objects.create(offering=school.offering, name="Exam", weight=D("74.5"))
    page = as_user(speaking(teacher, "es")).get(
        reverse("exams:gradebook_categories", args=[school.offering.pk])
    )
    text = page.content.decode()
    assert 'value="25.50"' in text
    assert 'value="74.50"' in text
    scale = grading_scale()
    GradeBand.objects.filter(scale=scale, letter="B").update(min_percent=D("72.5"))
    text = as_user(speaking(admin, "es")).get(reverse("exams:scale_edit", args=[scale.pk])).content.decode()
    assert 'value="72.50"' in text
    assert "72,50" not in text


# --------------------------------------------------------------------------------------------- the sources

# A literal pattern is allowed only where a machine reads the value: ISO in <time datetime>, URLs, input
# values and data- attributes ("Y-m-d", "Y-m", "c").
MACHINE_FORMATS = {"Y-m-d", "Y-m", "c"}
NAMED = {
    "DATE_FORMAT",
    "SHORT_DATE_FORMAT",
    "DATETIME_FORMAT",
    "SHORT_DATETIME_FORMAT",
    "MONTH_DAY_FORMAT",
    "YEAR_MONTH_FORMAT",
    "TIME_FORMAT",
}


def test_templates_write_dates_only_with_the_named_formats():
    wrong = []
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix not in {".html", ".txt"}:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for pattern in re.findall(r"""\|date:["']([^"']*)["']""", line):
                if pattern not in NAMED | MACHINE_FORMATS:
                    wrong.append(f"{path.relative_to(ROOT)}:{number}: |date:{pattern!r}")
    assert not wrong, "use the named formats (portal/formats):\n" + "\n".join(wrong)


# A weekday's abbreviation alone is a name, not a date (the monthly register's column initials).
DATE_PARTS = {"D"}


def test_python_formats_dates_only_with_the_named_formats():
    wrong = []
    for path in sorted((ROOT / "modules").rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for pattern in re.findall(r"""date_format\([^,()]+(?:\([^)]*\))?,\s*["']([^"']*)["']""", line):
                if pattern not in NAMED | DATE_PARTS:
                    wrong.append(f"{path.relative_to(ROOT)}:{number}: date_format(…, {pattern!r})")
    assert not wrong, "use the named formats (portal/formats):\n" + "\n".join(wrong)


def test_it_keeps_django_date_names_out_of_our_catalogue():
    """Our catalogue is read after Django's: a context-free "Friday" translated as a label ("Vendredi") would
    capitalise every weekday in running text ("du Vendredi 4 décembre"). Labels take a context."""
    names = {str(name) for table in (WEEKDAYS, WEEKDAYS_ABBR, MONTHS, MONTHS_3) for name in table.values()}
    names |= {name[:3] for name in names}
    with translation.override("en"):
        names = {str(name) for name in names}
    bare = re.compile(
        r"""(?:\b_|gettext(?:_lazy|_noop)?)\(\s*["']([A-Za-z]+)["']\s*\)|{%\s*translate\s+["']([A-Za-z]+)["']\s*%}"""
    )
    wrong = []
    for folder, suffixes in (("modules", {".py"}), ("templates", {".html", ".txt"}), ("tasks", {".py"})):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in suffixes:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                for match in bare.finditer(line):
                    word = match.group(1) or match.group(2)
                    if word in names:
                        wrong.append(f"{path.relative_to(ROOT)}:{number}: {word}")
    assert not wrong, "give these a context (pgettext / translate … context):\n" + "\n".join(wrong)
