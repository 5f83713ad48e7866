"""The stored term averages (exams.results, SubjectResult): after every way marks, assessments and categories
change (a cell, a paste, a marksheet, an assessment edited or deleted, the categories, the admin site), each
student's average as a report reads it is the report card's, to the tenth. Saving marks writes nothing more
(the gradebook's hot path); the next read counts again only the averages whose marks changed.
`manage.py subject_results` counts them all again."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from allauth.mfa.totp.internal import auth as totp
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from modules.exams.models import Assessment, AssessmentCategory, Mark, SubjectResult
from modules.exams.report_cards import cards_build
from modules.exams.results import results_fresh
from tests import factories as f
from tests.accounts.conftest import sign_in
from tests.exams.test_categories import rows
from tests.exams.test_gradebook import assessment, enrol, scale_for
from tests.exams.test_gradebook_cell import post_cell
from tests.exams.test_gradebook_save import save
from tests.exams.test_marksheet import FIRST_MARK_COLUMN, export, find_row, upload

pytestmark = pytest.mark.django_db


def on_cards(school) -> dict[tuple[int, int], Decimal]:
    """(student, class) → the average each report card of the term prints (the preview: every mark)."""
    batch = cards_build(term=school.term, section_ids=[school.section.pk], published_only=False)
    offering_of = {school.offering.subject.name: school.offering.pk}
    return {
        (card.student.pk, offering_of[line.subject]): line.average.percent
        for card in batch.cards
        for line in card.subjects
        if line.average.percent is not None and line.subject in offering_of
    }


def stored(school) -> dict[tuple[int, int], Decimal]:
    """The averages as a report reads them: brought up to date with the marks first."""
    results_fresh(school.term.pk)
    return {
        (row.student_id, row.offering_id): row.percent
        for row in SubjectResult.objects.filter(term=school.term, offering=school.offering)
        if row.percent is not None
    }


def average(school, student) -> Decimal | None:
    return stored(school).get((student.pk, school.offering.pk))


@pytest.fixture
def pupils(school):
    return enrol(school.section, 2)


def test_every_cell_saved_in_the_gradebook_is_counted_as_the_card_counts_it(as_user, teacher, school, pupils):
    client = as_user(teacher)
    quiz, test = assessment(school, max_score=20), assessment(school, max_score=50)
    post_cell(client, school, quiz, "15")
    assert average(school, school.child) == Decimal("75.0")
    post_cell(client, school, test, "30")
    assert average(school, school.child) == Decimal("64.3")  # 45 of 70
    post_cell(client, school, quiz, "ex", student=pupils[0])  # excused: nothing counted
    assert average(school, pupils[0]) is None
    post_cell(client, school, test, "m", student=pupils[0])  # missing counts as zero
    assert average(school, pupils[0]) == Decimal("0.0")
    post_cell(client, school, quiz, "7.5", student=pupils[1])
    post_cell(client, school, quiz, "16", base="15")
    assert average(school, school.child) == Decimal("65.7")  # 46 of 70
    assert stored(school) == on_cards(school)
    post_cell(client, school, quiz, "", student=pupils[1], base="7.5")  # cleared: nothing left to count
    assert average(school, pupils[1]) is None
    assert stored(school) == on_cards(school)


def test_saving_marks_writes_no_average_and_a_read_counts_only_what_changed(as_user, teacher, school, pupils):
    quiz, test = assessment(school, max_score=20), assessment(school, max_score=50)
    cells = {}
    for n, student in enumerate([school.child, *pupils]):
        cells[f"m-{student.pk}-{quiz.pk}"] = str(10 + n)
        cells[f"m-{student.pk}-{test.pk}"] = str(40 - n)
    with CaptureQueriesContext(connection) as captured:
        response = save(as_user(teacher), school, cells)
        post_cell(as_user(teacher), school, quiz, "11", student=pupils[0], base="11")
    assert response.status_code == 302
    assert not [q for q in captured.captured_queries if "exams_subjectresult" in q["sql"]]
    assert results_fresh(school.term.pk) == 3  # the three students, counted when read
    assert average(school, pupils[1]) == Decimal("71.4")  # 12 + 38 of 70
    assert results_fresh(school.term.pk) == 0  # nothing changed since: nothing counted
    post_cell(as_user(teacher), school, quiz, "20", student=pupils[0], base="11")
    assert results_fresh(school.term.pk) == 1
    assert stored(school) == on_cards(school)


def test_categories_and_an_assessment_s_maximum_change_the_averages(as_user, teacher, school, pupils):
    client = as_user(teacher)
    quiz, test = assessment(school, max_score=20), assessment(school, max_score=50)
    for student, score in ((school.child, "15"), (pupils[0], "5")):
        post_cell(client, school, quiz, score, student=student)
    post_cell(client, school, test, "30")
    post_cell(client, school, test, "50", student=pupils[0])
    assert average(school, school.child) == Decimal("64.3")
    response = client.post(
        reverse("exams:gradebook_categories", args=[school.offering.pk]),
        rows(("Quizzes", "40"), ("Tests", "60")),
    )
    assert response.status_code == 302
    categories = {c.name: c.pk for c in AssessmentCategory.objects.all()}
    edit = {"kind": "test", "date": "2026-11-20", "term": school.term.pk}
    for item, category in ((quiz, "Quizzes"), (test, "Tests")):
        response = client.post(
            reverse("exams:gradebook_assessment_edit", args=[item.pk]),
            {**edit, "name": item.name, "max_score": item.max_score, "category": categories[category]},
        )
        assert response.status_code == 302
    assert average(school, school.child) == Decimal("66.0")  # 40% of 15/20 + 60% of 30/50
    assert average(school, pupils[0]) == Decimal("70.0")  # 40% of 5/20 + 60% of 50/50
    assert stored(school) == on_cards(school)
    response = client.post(
        reverse("exams:gradebook_assessment_edit", args=[quiz.pk]),
        {**edit, "name": quiz.name, "max_score": "30", "category": categories["Quizzes"]},
    )
    assert response.status_code == 302
    assert average(school, school.child) == Decimal("56.0")  # 40% of 15/30 + 60% of 30/50
    assert stored(school) == on_cards(school)


def test_an_assessment_deleted_or_moved_to_another_term_takes_its_marks_out(as_user, teacher, school, pupils):
    client = as_user(teacher)
    quiz, test = assessment(school, max_score=20), assessment(school, max_score=50)
    post_cell(client, school, quiz, "15")
    post_cell(client, school, test, "30")
    post_cell(client, school, quiz, "10", student=pupils[0])
    later = f.TermFactory(year=school.year, name="Term 2")
    response = client.post(
        reverse("exams:gradebook_assessment_edit", args=[test.pk]),
        {"name": test.name, "kind": "test", "max_score": "50", "date": "2026-11-20", "term": later.pk},
    )
    assert response.status_code == 302
    assert average(school, school.child) == Decimal("75.0")  # the quiz alone here
    assert SubjectResult.objects.get(term=later, student=school.child).percent == Decimal("60.0")
    assert stored(school) == on_cards(school)
    assert client.post(reverse("exams:gradebook_assessment_delete", args=[quiz.pk])).status_code == 302
    assert stored(school) == {}
    assert SubjectResult.objects.filter(term=later).count() == 1


def test_a_marksheet_s_marks_are_counted_as_the_card_counts_them(as_user, teacher, school, pupils):
    client = as_user(teacher)
    quiz = assessment(school, max_score=20, name="Quiz 1")
    post_cell(client, school, quiz, "12")
    workbook = export(client, school)
    sheet = workbook["Marks"]
    for n, admission in enumerate([school.child.admission_number, *(p.admission_number for p in pupils)]):
        sheet.cell(find_row(sheet, admission), FIRST_MARK_COLUMN).value = 14 + n
    response = upload(client, school, workbook)
    token = response.context["confirm_form"].initial["token"]
    response = client.post(
        reverse("exams:marksheet_confirm", kwargs={"pk": school.offering.pk}), {"token": token}
    )
    assert response.status_code == 302
    assert average(school, school.child) == Decimal("70.0")
    assert average(school, pupils[1]) == Decimal("80.0")
    assert stored(school) == on_cards(school)


@pytest.fixture
def root(db, password, settings):
    settings.STUDENTFLOW_REQUIRE_STAFF_MFA = True
    return get_user_model().objects.create_superuser(email="root@school.test", password=password)


def test_a_mark_changed_or_deleted_in_the_admin_site_is_counted_again(client, root, password, school, pupils):
    quiz, test = assessment(school, max_score=20), assessment(school, max_score=50)
    mark = f.MarkFactory(assessment=quiz, student=school.child, score=15)
    f.MarkFactory(assessment=test, student=school.child, score=30)
    call_command("subject_results")  # marks made around the services: counted from them
    assert average(school, school.child) == Decimal("64.3")
    secret = totp.generate_totp_secret()
    totp.TOTP.activate(root, secret)
    assert sign_in(client, root.email, password, secret, next_url="/admin/").status_code == 302
    change = reverse("admin:exams_mark_change", args=[mark.pk])
    response = client.post(
        change,
        {
            "assessment": quiz.pk,
            "student": school.child.pk,
            "score": "20",
            "code": "",
            "max_score": "20",
            "entered_by": root.pk,
            "entered_at_0": "2026-11-20",
            "entered_at_1": "10:00:00",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, re.findall(r"errorlist[^<]*<li>([^<]*)", response.content.decode())
    assert average(school, school.child) == Decimal("71.4")  # 50 of 70
    delete = reverse("admin:exams_mark_delete", args=[mark.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert average(school, school.child) == Decimal("60.0")
    assert stored(school) == on_cards(school)


def test_the_command_counts_every_average_again(school, pupils, capsys):
    quiz = assessment(school, max_score=20)
    for n, student in enumerate([school.child, *pupils]):
        f.MarkFactory(assessment=quiz, student=student, score=10 + n)
    call_command("subject_results")
    assert "3 stored" in capsys.readouterr().out
    SubjectResult.objects.filter(student=school.child).update(percent=Decimal("1.0"))  # gone astray
    SubjectResult.objects.create(
        student=school.other_child, offering=school.offering, term=school.term, percent=9
    )
    call_command("subject_results", "--term", str(school.term.pk))
    assert stored(school) == on_cards(school)
    assert average(school, school.child) == Decimal("50.0")
    assert not Mark.objects.filter(student=school.other_child).exists()
    assert average(school, school.other_child) is None


def test_a_scale_s_letters_need_no_recount(as_user, admin, school):
    """The letter is read from the scale when asked: the builder's letter follows a changed scale at once."""
    scale = scale_for(school.section.grade_level)
    quiz = assessment(school, max_score=20)
    f.MarkFactory(assessment=quiz, student=school.child, score=15)
    call_command("subject_results")
    client = as_user(admin)
    params = {
        "dataset": "term_results",
        "term": school.term.pk,
        "columns": ["name", "average", "letter", "passed"],
    }
    page = client.get(reverse("reports:builder_new"), params).content.decode()
    assert '<th scope="row">Sam Parent</th><td>75.0</td><td>B</td><td>yes</td>' in page
    scale.bands.filter(letter="A").update(min_percent=70)
    scale.pass_mark = 80
    scale.save()
    page = client.get(reverse("reports:builder_new"), params).content.decode()
    assert '<th scope="row">Sam Parent</th><td>75.0</td><td>A</td><td>no</td>' in page
    assert Assessment.objects.count() == 1
