"""A child's grades for the family: published marks only, averages from them, the trend, the report card
link once the term is published; the child's teachers and the office see more; nobody else sees anything."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from modules.exams.models import GradeBand, GradingScale, TermStatus
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def marks(school):
    scale = GradingScale.objects.create(name="Default", pass_mark=Decimal("50"))
    for letter, low in (("A", 80), ("B", 60), ("C", 0)):
        GradeBand.objects.create(scale=scale, letter=letter, min_percent=low)
    published = f.AssessmentFactory(
        offering=school.offering, term=school.term, name="Published quiz", published_at=timezone.now()
    )
    secret = f.AssessmentFactory(offering=school.offering, term=school.term, name="Secret test", max_score=50)
    f.MarkFactory(assessment=published, student=school.child, score=15)  # 75%
    f.MarkFactory(assessment=secret, student=school.child, score=Decimal("3.5"))  # would pull it to 26.4%
    return published, secret


def _url(school, **query):
    url = reverse("exams:child_grades", args=[school.child.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.mark.parametrize("persona", ["guardian", "student"])
def test_it_shows_the_family_published_marks_only_and_their_average(as_user, school, marks, persona, request):
    response = as_user(request.getfixturevalue(persona)).get(_url(school))
    assert response.status_code == 200
    text = response.text
    assert "Grades of Sam Parent" in text
    assert "Published quiz" in text
    assert "15 / 20" in text
    assert "75.0% · B" in text
    assert "Secret test" not in text
    assert "3.5" not in text
    assert "26.4" not in text
    assert "not published" not in text


def test_it_never_sends_unpublished_marks_in_the_htmx_fragment(as_user, guardian, school, marks):
    response = as_user(guardian).get(_url(school, term=school.term.pk), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="term-results"' in response.text
    assert "Published quiz" in response.text
    assert "Secret test" not in response.text
    assert "3.5" not in response.text
    assert response.headers["Vary"].count("HX-Request") == 1


def test_it_shows_the_childs_teacher_everything_labelled(as_user, teacher, school, marks):
    response = as_user(teacher).get(_url(school))
    assert "Secret test" in response.text
    assert "not published" in response.text
    assert "3.5 / 50" in response.text
    assert "26.4% · C" in response.text  # (15 + 3.5) / (20 + 50)


def test_it_shows_a_trend_across_the_terms(as_user, guardian, school, marks):
    term2 = f.TermFactory(year=school.year, name="Term 2")
    later = f.AssessmentFactory(
        offering=school.offering, term=term2, name="Later", published_at=timezone.now()
    )
    f.MarkFactory(assessment=later, student=school.child, score=10)  # 50%
    response = as_user(guardian).get(_url(school, term=term2.pk))
    text = response.text
    assert "Trend across the year" in text
    trend = text[text.index("Trend across the year") :]
    assert "Term 1" in trend
    assert "Term 2" in trend
    assert "75.0%" in trend
    assert "50.0%" in trend
    assert 'value="75.0"' in trend
    assert "style=" not in text


def test_it_links_the_report_card_for_families_only_once_the_term_is_published(
    as_user, guardian, admin, school, marks
):
    card = reverse("exams:report_card", kwargs={"student_pk": school.child.pk, "term_pk": school.term.pk})
    assert card not in as_user(guardian).get(_url(school)).text
    assert card in as_user(admin).get(_url(school)).text
    TermStatus.objects.create(term=school.term, results_published_at=timezone.now())
    assert card in as_user(guardian).get(_url(school)).text


@pytest.mark.parametrize("persona", ["other_guardian", "other_teacher", "bursar"])
def test_it_hides_the_child_from_everyone_else(as_user, school, marks, persona, request):
    assert as_user(request.getfixturevalue(persona)).get(_url(school)).status_code == 404


def test_it_refuses_visitors_wrong_methods_and_unknown_children(client, as_user, guardian, school):
    assert client.get(_url(school)).status_code == 302
    assert as_user(guardian).post(_url(school)).status_code == 405
    assert (
        as_user(guardian).get(reverse("exams:child_grades", args=[school.child.pk + 999])).status_code == 404
    )


def test_it_shows_the_page_in_queries_that_do_not_grow_with_subjects_and_marks(
    as_user, guardian, school, marks, queries_exactly
):
    client = as_user(guardian)
    client.get(_url(school))
    with queries_exactly(15):
        client.get(_url(school))
    for n in range(4):
        offering = f.CourseOfferingFactory(
            subject=f.SubjectFactory(name=f"Subject {n}"), section=school.section
        )
        for _m in range(3):
            assessment = f.AssessmentFactory(offering=offering, term=school.term, published_at=timezone.now())
            f.MarkFactory(assessment=assessment, student=school.child, score=12)
    with queries_exactly(15):
        response = client.get(_url(school))
    assert "Subject 3" in response.text


@pytest.fixture
def coded(school):
    """Three published marks that are codes, not scores: excused, missing and absent."""
    for name, code in (("Essay", "ex"), ("Project", "m"), ("Oral", "abs")):
        assessment = f.AssessmentFactory(
            offering=school.offering, term=school.term, name=name, max_score=10, published_at=timezone.now()
        )
        f.MarkFactory(assessment=assessment, student=school.child, score=None, code=code)


def mark_cells(text: str) -> list[str]:
    """The "Mark" cell of the rows of Essay, Project and Oral."""
    return [
        re.search(rf"<td>{name}</td>\s*<td>[^<]*</td>\s*<td class=\"text-end\">(.*?)</td>", text, re.S)
        .group(1)
        .strip()
        for name in ("Essay", "Project", "Oral")
    ]


@pytest.mark.parametrize("persona", ["guardian", "student"])
def test_it_shows_families_words_not_the_gradebooks_codes(as_user, school, coded, persona, request):
    text = as_user(request.getfixturevalue(persona)).get(_url(school)).text
    assert mark_cells(text) == ["Excused", "Missing", "Absent"]
    assert "/ 10" not in text  # a code is not "out of" anything


def test_it_shows_the_words_in_the_familys_language(as_user, guardian, school, coded):
    guardian.language = "fr"
    guardian.save(update_fields=["language"])
    text = as_user(guardian).get(_url(school)).text
    assert mark_cells(text) == ["Excusé", "Non rendu", "Absent"]


def test_it_keeps_the_short_codes_in_the_teachers_gradebook(as_user, teacher, school, coded):
    response = as_user(teacher).get(reverse("exams:gradebook", args=[school.offering.pk]))
    assert response.status_code == 200
    assert re.search(r'value="ex"', response.text)
    assert re.search(r'value="abs"', response.text)
