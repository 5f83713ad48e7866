"""One report card as PDF: its content, who may download it and when, and names that look like HTML."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from modules.exams import report_cards
from tests import factories as f
from tests.exams.test_report_card_fixtures import pdf_pages, publish_term, sams_term


def _url(school, student=None) -> str:
    return reverse("exams:report_card", args=[(student or school.child).pk, school.term.pk])


def test_it_prints_subjects_averages_letters_comments_attendance_and_the_key(school, admin, as_user):
    sams_term(school)
    response = as_user(admin).get(_url(school))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pages = pdf_pages(b"".join(response.streaming_content) if response.streaming else response.content)
    assert len(pages) == 1
    text = pages[0]
    for expected in [
        "Sam Parent",
        "A-0001",
        "7A",
        "Grade 7",
        "Tom Teach",  # student details, homeroom teacher
        "Mathematics",
        "Quiz A 18/20",
        "Quiz B 4/20",
        "55.0%",  # staff preview: both quizzes, 22/40
        "Strong in algebra.",
        "A kind classmate.",
        "Keep it up.",
        "Excellent",
        "Pass mark 50%",  # the grading key
        "Staff preview",
    ]:
        assert expected in text, expected
    # Attendance: 3 present, 1 late, 1 absent, 0 excused of 5 registers taken → 80.0 % (the register still
    # being taken does not count).
    assert "3 1 1 0 5 80.0%" in " ".join(text.split())


def test_it_shows_the_family_only_published_marks_once_the_term_is_published(
    school, guardian, student, as_user
):
    sams_term(school)
    assert as_user(guardian).get(_url(school)).status_code == 404
    assert as_user(student).get(_url(school)).status_code == 404
    publish_term(school.term)
    for persona in (guardian, student):
        response = as_user(persona).get(_url(school))
        assert response.status_code == 200
        text = pdf_pages(response.content)[0]
        assert "Quiz A 18/20" in text
        assert "Quiz B" not in text  # unpublished: never on a family's card
        assert "90.0%" in text
        assert "Staff preview" not in text


def test_it_hides_other_children_and_refuses_bursars_and_other_teachers(
    school, other_guardian, bursar, other_teacher, guardian, as_user
):
    sams_term(school)
    publish_term(school.term)
    for persona in (other_guardian, bursar, other_teacher):
        assert as_user(persona).get(_url(school)).status_code == 404
    assert as_user(guardian).get(_url(school, school.other_child)).status_code == 404


def test_it_lets_the_teacher_preview_and_refuses_other_methods(school, teacher, as_user):
    sams_term(school)
    client = as_user(teacher)
    assert client.get(_url(school)).status_code == 200
    assert client.post(_url(school)).status_code == 405


def test_it_is_404_for_a_student_without_an_enrollment_that_year(school, admin, as_user):
    loner = f.StudentFactory()
    assert as_user(admin).get(_url(school, loner)).status_code == 404


def test_it_prints_html_in_names_as_text(school, admin, as_user):
    sams_term(school)
    school.child.first_name = "<b>Bo</b>"
    school.child.last_name = '<img src="http://x/y.png"> http://x'
    school.child.save()
    batch = report_cards.cards_build(term=school.term, student_ids=[school.child.pk], published_only=False)
    html = report_cards.cards_html(batch)
    assert "<b>Bo</b>" not in html
    assert "&lt;b&gt;Bo&lt;/b&gt;" in html
    assert '<img src="http://x' not in html
    response = as_user(admin).get(_url(school))
    assert response.status_code == 200
    assert "<b>Bo</b>" in pdf_pages(response.content)[0]


def test_it_builds_any_number_of_cards_in_the_same_number_of_queries(school):
    sams_term(school)

    def queries_for(extra: int) -> int:
        for _n in range(extra):
            f.EnrollmentFactory(student=f.StudentFactory(), section=school.section)
        with CaptureQueriesContext(connection) as captured:
            batch = report_cards.cards_build(
                term=school.term,
                section_ids=[school.section.pk, school.other_section.pk],
                published_only=False,
            )
        return len(captured), len(batch.cards)

    queries_for(0)  # the school profile row is created on first use
    few, cards_few = queries_for(1)
    many, cards_many = queries_for(20)
    assert (cards_few, cards_many) == (3, 23)
    assert few == many <= 10


def test_it_embeds_the_school_logo_as_a_data_url(school):
    from django.core.files.base import ContentFile

    from modules.core.models import SchoolProfile
    from tests.images import png_bytes

    profile = SchoolProfile.load()
    profile.name = "Hilltop <School>"
    profile.save()
    profile.logo.save("logo.png", ContentFile(png_bytes()), save=True)
    batch = report_cards.cards_build(term=school.term, student_ids=[school.child.pk], published_only=False)
    html = report_cards.cards_html(batch)
    assert '<img src="data:image/png;base64,' in html
    assert "Hilltop &lt;School&gt;" in html
    assert len(report_cards.cards_pdf(batch).pdf) > 1000


def test_it_says_so_when_a_card_takes_longer_than_the_pdf_time_limit(school, admin, as_user, settings):
    """Report cards are laid out under the same limit as every other PDF (core.pdf.run_with_limits): past
    it the office reads why, instead of a worker held for as long as the layout takes."""
    sams_term(school)
    settings.STUDENTFLOW_PDF_TIMEOUT = 0
    response = as_user(admin).get(_url(school))
    assert response.status_code == 503
    assert "This document took more than 0 seconds to produce, so it was stopped." in response.text
    settings.STUDENTFLOW_PDF_TIMEOUT = 20
    assert as_user(admin).get(_url(school)).status_code == 200


def test_it_prints_words_for_mark_codes_in_the_readers_language(school, guardian, as_user):
    """Families read "Excused", "Missing", "Absent" (never the gradebook's "ex", "m", "abs", nor "abs/20")."""
    sams_term(school)
    for name, code in (("Essay", "ex"), ("Project", "m"), ("Oral", "abs")):
        assessment = f.AssessmentFactory(
            offering=school.offering,
            term=school.term,
            name=name,
            max_score=20,
            published_at=timezone.now(),
        )
        f.MarkFactory(assessment=assessment, student=school.child, score=None, code=code)
    publish_term(school.term)
    text = " ".join(pdf_pages(as_user(guardian).get(_url(school)).content)[0].split())
    assert "Quiz A 18/20" in text
    for printed in ("Essay Excused", "Project Missing", "Oral Absent"):
        assert printed in text, printed
    for code in ("ex/20", "m/20", "abs/20", "Excused/20"):
        assert code not in text, code

    guardian.language = "es"
    guardian.save(update_fields=["language"])
    text = " ".join(pdf_pages(as_user(guardian).get(_url(school)).content)[0].split())
    for printed in ("Essay Justificado", "Project No entregado", "Oral Ausente"):
        assert printed in text, printed


def test_it_pins_the_queries_of_one_card(school, admin, as_user, queries_exactly):
    sams_term(school)
    client = as_user(admin)
    client.get(_url(school))  # warm the session; the school profile row is created on first use
    with queries_exactly(16):
        response = client.get(_url(school))
    assert response.status_code == 200
