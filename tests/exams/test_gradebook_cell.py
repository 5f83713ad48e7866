"""One cell saved from the grid (HTMX): scores, codes, clearing, refusals kept in the cell with the typed
value, the student's average and letter out-of-band, the locked term, and who may save."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from modules.core.models import AuditEvent
from modules.exams.models import AssessmentCategory, GradeBand, GradingScale, Mark
from tests import factories as f
from tests.exams.test_gradebook import assessment, enrol, lock, scale_for

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def post_cell(client, s, quiz, value, student=None, **extra):
    url = reverse("exams:gradebook_cell", args=[s.offering.pk])
    data = {"assessment": quiz.pk, "student": (student or s.child).pk, "value": value, **extra}
    return client.post(url, data, headers=HTMX)


def refused(response) -> str:
    """A refused cell answers 200 (the cell to show, like a form re-shown with its errors; a 4xx would put an
    error in the browser's console), marked refused: its message, work not saved (the page asks before it is
    left)."""
    assert response.status_code == 200
    page = response.content.decode()
    assert "has-error" in page
    assert "data-unsaved" in page
    assert "gb-error" in page
    assert "gb-saved" not in page  # no "Saved" on a refusal
    return page


def stored(quiz, student):
    return Mark.objects.filter(assessment=quiz, student=student).first()


def test_it_saves_a_score_and_answers_the_cell_and_the_average(as_user, teacher, school):
    scale_for(school.section.grade_level)
    quiz = assessment(school, max_score=20)
    response = post_cell(as_user(teacher), school, quiz, "13")
    page = response.content.decode()
    assert response.status_code == 200
    assert stored(quiz, school.child).score == 13
    assert f'id="c-{quiz.pk}-{school.child.pk}"' in page
    assert 'value="13"' in page
    assert f'id="avg-{school.child.pk}" hx-swap-oob="true"' in page
    assert 'class="gb-status gb-saved"' in page
    assert "Saved" in page
    assert "data-unsaved" not in page
    assert "data-select-on-focus" in page  # typing into it replaces the mark shown (portal.js)
    assert "65.0%" in page
    assert ">B</span>" in page
    assert AuditEvent.objects.filter(action="mark.set").count() == 1


def test_it_accepts_a_comma_and_codes_and_clears(as_user, teacher, school):
    client = as_user(teacher)
    quiz = assessment(school, max_score=10)
    post_cell(client, school, quiz, "7,5")
    assert stored(quiz, school.child).score == pytest.approx(7.5)
    # Each save sends what the cell showed after the one before (its base), as gradebook.js does.
    response = post_cell(client, school, quiz, "ABS", base="7.5")
    assert stored(quiz, school.child).code == "abs"
    assert "0.0%" in response.content.decode()  # absent counts as zero
    response = post_cell(client, school, quiz, "ex", base="abs")
    assert stored(quiz, school.child).code == "ex"
    assert "—" in response.content.decode()  # excused: nothing counted
    response = post_cell(client, school, quiz, "", base="ex")
    assert response.status_code == 200
    assert stored(quiz, school.child) is None


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("25", "25 is above the maximum of 20."),
        ("-3", "A score cannot be negative."),
        ("abc", "is not a score"),
    ],
)
def test_it_keeps_the_typed_value_and_shows_the_error_in_the_cell(as_user, teacher, school, typed, message):
    quiz = assessment(school, max_score=20)
    f.MarkFactory(assessment=quiz, student=school.child, score=11)
    response = post_cell(as_user(teacher), school, quiz, typed)
    page = response.content.decode()
    refused(response)
    assert message in page
    assert f'value="{typed}"' in page
    assert 'data-saved="11"' in page
    assert 'aria-invalid="true"' in page
    assert f'aria-describedby="e-{quiz.pk}-{school.child.pk}"' in page
    assert stored(quiz, school.child).score == 11


def test_it_refuses_a_teacher_in_a_locked_term_and_lets_the_office_with_a_reason(
    as_user, teacher, admin, school
):
    quiz = assessment(school)
    lock(school.term)
    response = post_cell(as_user(teacher), school, quiz, "12")
    refused(response)
    assert "This term is locked" in response.content.decode()
    assert stored(quiz, school.child) is None
    office = as_user(admin)
    response = post_cell(office, school, quiz, "12")
    assert "give a reason" in refused(response)
    response = post_cell(office, school, quiz, "12", reason="Re-marked after appeal")
    assert response.status_code == 200
    assert stored(quiz, school.child).score == 12
    event = AuditEvent.objects.get(action="mark.set")
    assert event.reason == "Re-marked after appeal"


def test_it_hides_other_classes_and_refuses_strangers(as_user, other_teacher, guardian, teacher, school):
    quiz = assessment(school)
    assert post_cell(as_user(other_teacher), school, quiz, "12").status_code == 404
    assert post_cell(as_user(guardian), school, quiz, "12").status_code == 403
    other_quiz = f.AssessmentFactory(offering=school.other_offering, term=school.term)
    assert post_cell(as_user(teacher), school, other_quiz, "12").status_code == 404
    assert not Mark.objects.exists()


def test_it_refuses_a_student_not_in_the_class(as_user, teacher, school):
    quiz = assessment(school)
    response = post_cell(as_user(teacher), school, quiz, "12", student=school.other_child)
    refused(response)
    assert "not in this class" in response.content.decode()
    assert not Mark.objects.exists()


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user, backend="modules.accounts.backends.PortalBackend")
    return client


def test_it_refuses_a_mark_someone_else_changed_since_the_page_was_drawn(teacher, admin, school):
    quiz = assessment(school, max_score=20)
    f.MarkFactory(assessment=quiz, student=school.child, score=11)
    at_desk, in_office = logged_in(teacher), logged_in(admin)
    # Both pages showed 11. The teacher saves 14; the office, still seeing 11, types 9 in the same cell.
    assert post_cell(at_desk, school, quiz, "14", base="11").status_code == 200
    response = post_cell(in_office, school, quiz, "9", base="11")
    page = response.content.decode()
    refused(response)
    assert stored(quiz, school.child).score == 14
    assert "Someone else changed this mark to “14” since you opened the page. Yours is not saved yet." in page
    assert 'value="9"' in page  # what the office typed, kept for them to decide
    assert 'data-saved="14"' in page
    assert f'name="b-{school.child.pk}-{quiz.pk}" value="14"' in page
    assert "Save mine" in page
    assert "has-conflict" in page
    assert AuditEvent.objects.filter(action="mark.set").count() == 1


def test_it_overwrites_on_purpose_once_the_other_value_was_shown(teacher, admin, school):
    quiz = assessment(school, max_score=20)
    f.MarkFactory(assessment=quiz, student=school.child, score=11)
    at_desk, in_office = logged_in(teacher), logged_in(admin)
    post_cell(at_desk, school, quiz, "14", base="11")
    refused(post_cell(in_office, school, quiz, "9", base="11"))
    # "Save mine": the cell's base is now the teacher's 14, which the office has seen.
    response = post_cell(in_office, school, quiz, "9", base="14")
    assert response.status_code == 200
    assert stored(quiz, school.child).score == 9
    event = AuditEvent.objects.filter(action="mark.set").latest("pk")
    assert event.before["mark"] == "14"
    assert event.after["mark"] == "9"


def test_it_refuses_a_mark_cleared_by_someone_else_and_a_first_mark_entered_meanwhile(teacher, admin, school):
    quiz, test = assessment(school), assessment(school)
    f.MarkFactory(assessment=quiz, student=school.child, score=11)
    at_desk, in_office = logged_in(teacher), logged_in(admin)
    post_cell(at_desk, school, quiz, "", base="11")
    post_cell(at_desk, school, test, "ex", base="")
    cleared = post_cell(in_office, school, quiz, "12", base="11")
    refused(cleared)
    assert "Someone else cleared this mark" in cleared.content.decode()
    assert stored(quiz, school.child) is None
    entered = post_cell(in_office, school, test, "15", base="")
    assert "changed this mark to “ex”" in refused(entered)
    assert stored(test, school.child).code == "ex"


def test_it_writes_nothing_when_the_value_is_the_base_or_already_stored(teacher, admin, school):
    quiz = assessment(school)
    f.MarkFactory(assessment=quiz, student=school.child, score=11)
    at_desk, in_office = logged_in(teacher), logged_in(admin)
    post_cell(at_desk, school, quiz, "14", base="11")
    # The same value as the other person: nothing lost, nothing to write, no conflict.
    assert post_cell(in_office, school, quiz, "14,0", base="11").status_code == 200
    # The value the page showed: not this person's change; the newer mark stands.
    response = post_cell(in_office, school, quiz, "11", base="11")
    assert response.status_code == 200
    assert 'value="14"' in response.content.decode()
    assert stored(quiz, school.child).score == 14
    assert AuditEvent.objects.filter(action="mark.set").count() == 1


# A live cell save is six statements: the signed-in user (the auth middleware), the cell (cell_target: the
# assessment and its term's lock, the enrolment, the student's marks of the term, the class's categories and
# the scale's bands, in one query), and the mark written with its audit event in one transaction (a savepoint
# here, inside the test's transaction; BEGIN and COMMIT in a deployment).
SAVED = 6


def test_it_pins_the_queries_of_one_cell_save(as_user, teacher, school, queries_exactly):
    scale_for(school.section.grade_level)
    client = as_user(teacher)
    post_cell(client, school, assessment(school, max_score=20), "12")  # warm the session and caches
    quiz = assessment(school, max_score=20)
    with queries_exactly(SAVED):
        response = post_cell(client, school, quiz, "13")
    assert 'class="gb-status gb-saved"' in response.content.decode()
    assert stored(quiz, school.child).score == 13
    with queries_exactly(SAVED):  # a changed mark: one conditional UPDATE, no read before it
        response = post_cell(client, school, quiz, "ex", base="13")
    assert stored(quiz, school.child).code == "ex"
    with queries_exactly(SAVED):  # cleared: one conditional DELETE
        response = post_cell(client, school, quiz, "", base="ex")
    assert stored(quiz, school.child) is None
    assert AuditEvent.objects.filter(action__in=["mark.set", "mark.clear"]).count() == 4


def test_it_pins_the_queries_of_the_office_and_of_refusals(as_user, teacher, admin, school, queries_exactly):
    quiz = assessment(school, max_score=20)
    f.MarkFactory(assessment=quiz, student=school.child, score=11)
    office = as_user(admin)
    post_cell(office, school, assessment(school), "12")  # warm the session and caches
    with queries_exactly(SAVED):
        post_cell(office, school, quiz, "14", base="11")
    client = as_user(teacher)
    post_cell(client, school, assessment(school), "12")
    with queries_exactly(2):  # the user and the cell: a bad mark is refused before any write
        refused(post_cell(client, school, quiz, "25", base="14"))
    with queries_exactly(2):
        refused(post_cell(client, school, quiz, "12", student=school.other_child))
    # A stale base: the savepoint opens, the mark read with the cell refuses it, it is rolled back.
    with queries_exactly(5):
        refused(post_cell(client, school, quiz, "9", base="11"))
    assert stored(quiz, school.child).score == 14


def test_it_costs_the_same_queries_for_a_bigger_class(as_user, teacher, school, queries_exactly):
    scale_for(school.section.grade_level)
    category = AssessmentCategory.objects.create(offering=school.offering, name="Tests", weight=100)
    pupils = enrol(school.section, 39)
    quizzes = [assessment(school, category=category) for _n in range(30)]
    Mark.objects.bulk_create(
        Mark(assessment=quiz, student=pupil, score=n % 20, max_score=quiz.max_score)
        for n, quiz in enumerate(quizzes)
        for pupil in [school.child, *pupils]
        if quiz != quizzes[-1]
    )
    client = as_user(teacher)
    post_cell(client, school, quizzes[0], "3", base="0")
    with queries_exactly(SAVED):
        response = post_cell(client, school, quizzes[-1], "18")
    assert stored(quizzes[-1], school.child).score == 18
    assert_average_matches_the_page(client, school, response)


def assert_average_matches_the_page(client, s, response) -> str:
    """The cell's out-of-band average is the one the whole page shows for the student."""
    answer = response.content.decode()
    start = answer.index(f'<td class="gb-avg" id="avg-{s.child.pk}"')
    oob = answer[start : answer.index("</td>", start) + len("</td>")]
    page = client.get(reverse("exams:gradebook", args=[s.offering.pk])).content.decode()
    start = page.index(f'<td class="gb-avg" id="avg-{s.child.pk}"')
    shown = page[start : page.index("</td>", start) + len("</td>")]
    assert oob.replace(' hx-swap-oob="true"', "") == shown
    return shown


def test_its_average_is_the_pages_with_categories_codes_and_the_default_scale(as_user, teacher, school):
    default = GradingScale.objects.create(name="School scale", pass_mark=Decimal("59.5"))
    for letter, low in (("P", Decimal("59.5")), ("N", Decimal(0))):
        GradeBand.objects.create(scale=default, letter=letter, min_percent=low)
    homework = AssessmentCategory.objects.create(offering=school.offering, name="Homework", weight=30)
    tests = AssessmentCategory.objects.create(offering=school.offering, name="Tests", weight=70)
    essay = assessment(school, max_score=Decimal("12.5"), category=homework)
    sheet = assessment(school, max_score=10, category=homework)
    exam = assessment(school, max_score=40, category=tests)
    f.MarkFactory(assessment=sheet, student=school.child, score=None, code="ex")
    f.MarkFactory(assessment=exam, student=school.child, score=Decimal("23.8"))
    client = as_user(teacher)
    # Homework 7.5 / 12.5 = 60%, tests 23.8 / 40 = 59.5%: weighted 59.65 → 59.7%, above the pass band's 59.5.
    shown = assert_average_matches_the_page(client, school, post_cell(client, school, essay, "7,5"))
    assert "59.7%" in shown
    assert ">P</span>" in shown
    # Missing counts as zero: homework 0%, the average 41.7%, below the pass band.
    shown = assert_average_matches_the_page(client, school, post_cell(client, school, essay, "m", base="7.5"))
    assert "41.7%" in shown
    assert ">N</span>" in shown
    # The grade level's own scale takes over from the school's default.
    scale_for(school.section.grade_level)
    shown = assert_average_matches_the_page(client, school, post_cell(client, school, essay, "10", base="m"))
    assert ">B</span>" in shown  # homework 80%, tests 59.5%: 65.7%


def test_its_average_counts_nothing_when_the_class_has_categories_but_the_term_none(as_user, teacher, school):
    AssessmentCategory.objects.create(offering=school.offering, name="Tests", weight=100)
    quiz = assessment(school)  # no category: it does not count once the class grades by categories
    client = as_user(teacher)
    shown = assert_average_matches_the_page(client, school, post_cell(client, school, quiz, "12"))
    assert "—" in shown
    assert stored(quiz, school.child).score == 12


def test_its_refusal_shows_the_average_of_what_is_stored(teacher, admin, school):
    quiz = assessment(school, max_score=20)
    f.MarkFactory(assessment=quiz, student=school.child, score=10)
    at_desk, in_office = logged_in(teacher), logged_in(admin)
    post_cell(at_desk, school, quiz, "15", base="10")
    response = post_cell(in_office, school, quiz, "5", base="10")
    refused(response)
    assert "75.0%" in response.content.decode()  # the teacher's 15, not the office's 5 nor the old 10


def test_it_answers_404_for_an_assessment_of_another_class_even_of_the_same_teacher(as_user, teacher, school):
    second = f.CourseOfferingFactory(section=school.section, teacher=school.teacher_staff)
    elsewhere = f.AssessmentFactory(offering=second, term=school.term)
    client = as_user(teacher)
    assert post_cell(client, school, elsewhere, "12").status_code == 404
    # A form that names no cell still says 404 for a class that is not theirs.
    url = reverse("exams:gradebook_cell", args=[school.other_offering.pk])
    assert client.post(url, {"value": "1"}, headers=HTMX).status_code == 404
    assert not Mark.objects.exists()
