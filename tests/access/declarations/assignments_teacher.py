"""Setting homework: the teacher's pages belong to teachers (others signed in get 403); one assignment's pages
belong to the teacher of its class (another teacher gets 404). An attached file is for everyone who can see
the assignment: its teacher, the office, the class's students and their guardians; anyone else 404."""

from tests.access.matrix import Rule, expect


def _assignment(s) -> dict:
    from modules.assignments.models import Assignment

    assignment = Assignment.objects.filter(offering=s.offering, title="Matrix homework").first()
    if assignment is None:
        from tests.factories import AssignmentFactory

        assignment = AssignmentFactory(offering=s.offering, term=s.term, title="Matrix homework")
    return {"pk": assignment.pk}


def _draft(s) -> dict:
    from tests.factories import AssignmentFactory

    return {"pk": AssignmentFactory(offering=s.offering, term=s.term, published_at=None).pk}


def _attachment(s) -> dict:
    from django.core.files.base import ContentFile

    from modules.assignments.models import Assignment, AssignmentFile

    assignment = Assignment.objects.get(pk=_assignment(s)["pk"])
    item = AssignmentFile.objects.filter(assignment=assignment).first()
    if item is None:
        item = AssignmentFile(
            assignment=assignment, name="sheet.txt", size=5, sha256="0" * 64, content_type="text/plain"
        )
        item.file.save("sheet.txt", ContentFile(b"hello"), save=False)
        item.save()
    return {"pk": item.pk}


TEACHERS = expect(403, teacher=200, other_teacher=200)
MATHS_7A = expect(403, teacher=200, other_teacher=404)
MATHS_7A_POST = expect(403, teacher=302, other_teacher=404)

RULES = [
    Rule("assignments:teacher_list", expect=TEACHERS),
    Rule("assignments:teacher_create", expect=TEACHERS),
    Rule("assignments:teacher_copy_pick", expect=TEACHERS),
    Rule(
        "assignments:teacher_calendar_load",
        data=lambda s: {"due_at": "2026-12-07T08:00", "offerings": [s.offering.pk]},
        headers={"HX-Request": "true"},
        expect=TEACHERS,
    ),
    Rule("assignments:teacher_detail", kwargs=_assignment, expect=MATHS_7A),
    Rule("assignments:teacher_edit", kwargs=_assignment, expect=MATHS_7A),
    Rule("assignments:teacher_delete", kwargs=_assignment, expect=MATHS_7A),
    # A draft published by its teacher: asked of each persona in turn, the first to publish gets the redirect
    # too, so every refusal before it proves nothing was published.
    Rule("assignments:teacher_publish", method="post", kwargs=_draft, expect=MATHS_7A_POST),
    Rule(
        "assignments:attachment",
        kwargs=_attachment,
        expect=expect(200, bursar=404, other_teacher=404, other_guardian=404),
    ),
]
