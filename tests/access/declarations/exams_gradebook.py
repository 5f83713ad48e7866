"""The teacher's gradebook: teachers and the office open the classes list; one class's grid, its cells, its
categories and its assessments belong to its teacher and the office (404 for other teachers); families and
the bursar are refused (403)."""

from tests.access.matrix import Rule, expect


def _assessment(s) -> dict:
    from modules.exams.models import Assessment

    assessment, _created = Assessment.objects.get_or_create(
        offering=s.offering, term=s.term, name="Matrix quiz", defaults={"max_score": 20}
    )
    return {"pk": assessment.pk}


def _cell(s) -> dict:
    return {"assessment": _assessment(s)["pk"], "student": s.child.pk, "value": "12"}


def _offering(s) -> dict:
    return {"pk": s.offering.pk}


MARKERS = expect(403, admin=200, teacher=200, other_teacher=200)
MATHS_7A = expect(403, admin=200, teacher=200, other_teacher=404)
MATHS_7A_POST = expect(403, admin=302, teacher=302, other_teacher=404)

RULES = [
    Rule("exams:gradebook_list", expect=MARKERS),
    Rule("exams:gradebook", kwargs=_offering, expect=MATHS_7A),
    Rule(
        "exams:gradebook_cell",
        method="post",
        kwargs=_offering,
        data=_cell,
        headers={"HX-Request": "true"},
        expect=MATHS_7A,
    ),
    Rule(
        "exams:gradebook_save",
        method="post",
        kwargs=_offering,
        data=lambda s: {"term": s.term.pk},
        expect=MATHS_7A_POST,
    ),
    Rule("exams:gradebook_categories", kwargs=_offering, expect=MATHS_7A),
    Rule("exams:gradebook_assessment_create", kwargs=_offering, expect=MATHS_7A),
    Rule("exams:gradebook_assessment_edit", kwargs=_assessment, expect=MATHS_7A),
    Rule("exams:gradebook_assessment_publish", method="post", kwargs=_assessment, expect=MATHS_7A_POST),
    # The walker posts to one assessment for every persona in turn: the office (asked first) deletes it, so
    # its teacher then gets 404. tests/exams/test_assessments.py covers the teacher deleting their own.
    Rule(
        "exams:gradebook_assessment_delete",
        method="post",
        kwargs=_assessment,
        expect=expect(403, admin=302, teacher=404, other_teacher=404),
    ),
]
