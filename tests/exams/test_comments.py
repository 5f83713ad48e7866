"""Term comments: class teachers per class, homeroom teachers per section, the principal (office); a locked
term only by the office, audited."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from modules.core.models import AuditEvent
from modules.exams.models import CommentKind, TermComment, TermStatus
from tests import factories as f

pytestmark = pytest.mark.django_db


def _page(kind, pk, term):
    return reverse("exams:comments_class", kwargs={"kind": kind, "pk": pk, "term_pk": term.pk})


def _save(kind, pk, term, student):
    return reverse(
        "exams:comment_save", kwargs={"kind": kind, "pk": pk, "term_pk": term.pk, "student_pk": student.pk}
    )


def _text(student, text, base=""):
    """What the page posts: the typed text and, hidden, the comment it showed when drawn."""
    return {f"s{student.pk}-text": text, f"s{student.pk}-base": base}


def test_it_saves_a_class_comment_without_javascript(as_user, teacher, school):
    client = as_user(teacher)
    page = client.get(_page("subject", school.offering.pk, school.term))
    assert "Sam Parent" in page.text
    response = client.post(
        _save("subject", school.offering.pk, school.term, school.child),
        _text(school.child, "  Works hard in class.  "),
        follow=True,
    )
    assert "The comment for Sam Parent was saved." in response.text
    comment = TermComment.objects.get()
    assert (comment.kind, comment.offering, comment.text, comment.author) == (
        CommentKind.SUBJECT,
        school.offering,
        "Works hard in class.",
        teacher,
    )
    assert "Works hard in class." in response.text
    assert not AuditEvent.objects.filter(action="term_comment.change").exists()  # open term: not audited


def test_it_saves_with_htmx_and_swaps_back_the_row(as_user, teacher, school):
    client = as_user(teacher)
    url = _save("subject", school.offering.pk, school.term, school.child)
    response = client.post(url, _text(school.child, "Good progress."), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Saved." in response.text
    assert "<html" not in response.text
    assert 'aria-live="polite"' in response.text
    assert f'name="s{school.child.pk}-base" value="Good progress."' in response.text
    response = client.post(
        url, _text(school.child, "", base="Good progress."), headers={"HX-Request": "true"}
    )
    assert "Removed." in response.text
    assert not TermComment.objects.exists()


def test_it_refuses_a_comment_that_is_too_long_and_keeps_the_old_one(as_user, teacher, school):
    TermComment.objects.create(
        student=school.child, term=school.term, kind="subject", offering=school.offering, text="Old"
    )
    response = as_user(teacher).post(
        _save("subject", school.offering.pk, school.term, school.child), _text(school.child, "x" * 1501)
    )
    assert response.status_code == 400
    assert "Ensure this value has at most 1500 characters" in response.text
    assert TermComment.objects.get().text == "Old"


def test_it_lets_the_homeroom_teacher_and_the_principal_write_their_comments(
    as_user, teacher, other_teacher, admin, school
):
    homeroom = _save("homeroom", school.section.pk, school.term, school.child)
    assert as_user(teacher).post(homeroom, _text(school.child, "A kind classmate.")).status_code == 302
    assert as_user(other_teacher).post(homeroom, _text(school.child, "Nope")).status_code == 404
    principal = _save("principal", school.section.pk, school.term, school.child)
    assert as_user(teacher).post(principal, _text(school.child, "Nope")).status_code == 403
    assert as_user(admin).post(principal, _text(school.child, "Well done.")).status_code == 302
    assert dict(TermComment.objects.values_list("kind", "text")) == {
        "homeroom": "A kind classmate.",
        "principal": "Well done.",
    }
    assert "Well done." in as_user(admin).get(_page("principal", school.section.pk, school.term)).text


def test_it_leaves_a_locked_term_to_the_office_and_audits_the_change(as_user, teacher, admin, school):
    TermStatus.objects.create(term=school.term, locked_at=timezone.now())
    url = _save("subject", school.offering.pk, school.term, school.child)
    response = as_user(teacher).post(url, _text(school.child, "Late comment"))
    assert response.status_code == 400
    assert "This term is locked. Ask the office to change a comment." in response.text
    response = as_user(teacher).post(url, _text(school.child, "Late comment"), headers={"HX-Request": "true"})
    assert "This term is locked" in response.text
    assert "Late comment" in response.text
    assert not TermComment.objects.exists()
    assert "disabled" in as_user(teacher).get(_page("subject", school.offering.pk, school.term)).text

    assert as_user(admin).post(url, _text(school.child, "Corrected by the office")).status_code == 302
    assert TermComment.objects.get().text == "Corrected by the office"
    event = AuditEvent.objects.get(action="term_comment.change")
    assert event.before["text"] == ""
    assert event.after["text"] == "Corrected by the office"


def test_it_hides_other_classes_and_refuses_families(as_user, teacher, other_teacher, guardian, school):
    outsider = f.StudentFactory()
    assert as_user(other_teacher).get(_page("subject", school.offering.pk, school.term)).status_code == 404
    assert (
        as_user(teacher)
        .post(_save("subject", school.offering.pk, school.term, outsider), _text(outsider, "x"))
        .status_code
        == 404
    )
    assert as_user(teacher).get(_page("bogus", school.offering.pk, school.term)).status_code == 404
    other_year_term = f.TermFactory(year=f.AcademicYearFactory(name="1999/2000", is_current=False))
    assert as_user(teacher).get(_page("subject", school.offering.pk, other_year_term)).status_code == 404
    assert as_user(guardian).get(_page("subject", school.offering.pk, school.term)).status_code == 403
    assert as_user(guardian).get(reverse("exams:comments_index")).status_code == 403
    assert (
        as_user(teacher).get(_save("subject", school.offering.pk, school.term, school.child)).status_code
        == 405
    )
    assert not TermComment.objects.exists()


def test_it_lists_what_a_teacher_comments_on(as_user, teacher, school):
    response = as_user(teacher).get(reverse("exams:comments_index"))
    assert "Mathematics · 7A" in response.text
    assert _page("homeroom", school.section.pk, school.term) in response.text


def test_it_shows_a_class_in_queries_that_do_not_grow_with_its_size(
    as_user, teacher, school, django_assert_max_num_queries
):
    client = as_user(teacher)
    url = _page("subject", school.offering.pk, school.term)
    client.get(url)
    with django_assert_max_num_queries(12):
        client.get(url)
    for _n in range(15):
        child = f.StudentFactory()
        f.EnrollmentFactory(student=child, section=school.section)
        TermComment.objects.create(
            student=child, term=school.term, kind="subject", offering=school.offering, text="Fine"
        )
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.text.count("<textarea") == 16


def test_it_refuses_to_overwrite_a_comment_someone_changed_since_the_page_was_drawn(
    as_user, teacher, admin, school
):
    """The teacher's page shows no comment; meanwhile the office writes one; the teacher's save must not
    silently replace it: the row shows the office's text, keeps the teacher's, and saving again replaces."""
    url = _save("subject", school.offering.pk, school.term, school.child)
    teacher_client = as_user(teacher)
    page = teacher_client.get(_page("subject", school.offering.pk, school.term))
    assert f'name="s{school.child.pk}-base" value=""' in page.text
    as_user(admin).post(url, _text(school.child, "Office note."))
    assert TermComment.objects.get().text == "Office note."

    response = teacher_client.post(url, _text(school.child, "Teacher note."), headers={"HX-Request": "true"})
    assert response.status_code == 409
    assert "It now reads: “Office note.”" in response.text
    assert ">Teacher note.</textarea>" in response.text
    assert f'name="s{school.child.pk}-base" value="Office note."' in response.text
    assert TermComment.objects.get().text == "Office note."

    response = teacher_client.post(
        url, _text(school.child, "Teacher note.", base="Office note."), follow=True
    )
    assert "The comment for Sam Parent was saved." in response.text
    assert TermComment.objects.get().text == "Teacher note."


def test_it_keeps_a_stale_page_from_undoing_a_change_without_javascript(as_user, teacher, admin, school):
    TermComment.objects.create(
        student=school.child, term=school.term, kind="subject", offering=school.offering, text="First"
    )
    url = _save("subject", school.offering.pk, school.term, school.child)
    as_user(admin).post(url, _text(school.child, "", base="First"))  # the office removes it
    assert not TermComment.objects.exists()
    response = as_user(teacher).post(url, _text(school.child, "Second", base="First"))
    assert response.status_code == 409
    assert "Someone else removed this comment" in response.text
    assert not TermComment.objects.exists()
    # Saving the unchanged text of a stale page writes nothing, whatever is stored now.
    response = as_user(teacher).post(url, _text(school.child, "First", base="First"), follow=True)
    assert response.status_code == 200
    assert not TermComment.objects.exists()
