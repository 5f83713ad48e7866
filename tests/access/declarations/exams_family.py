"""Grades: a child's grades page."""

from tests.access.matrix import Rule, expect

RULES = [
    # Sam's grades: Sam, Sam's guardian, Sam's teacher and the office; nobody else (not the bursar: fees are
    # not marks) learns the child exists.
    Rule(
        "exams:child_grades",
        kwargs=lambda s: {"pk": s.child.pk},
        expect=expect(404, admin=200, teacher=200, guardian=200, student=200),
    ),
]
