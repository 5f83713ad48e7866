"""Reports: the role dashboards."""

from tests.access.matrix import SIGNED_IN_OK, Rule, expect

RULES = [
    # Every signed-in person has a dashboard for the role they act in; visitors go to sign in.
    Rule("reports:dashboard", expect=SIGNED_IN_OK),
    # Sam's charts: Sam and Sam's guardian only. Staff read a child's figures on the child's own pages; a
    # family never learns another family's child exists.
    Rule(
        "reports:dashboard_child",
        kwargs=lambda s: {"pk": s.child.pk},
        expect=expect(404, guardian=200, student=200),
    ),
]
