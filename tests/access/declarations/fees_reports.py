"""Fees reports (modules/fees/urls_reports.py): the bursar and the office see the dashboard and reports
(anyone else signed in is refused); a student's statement is also open to that student's guardians, and
does not exist for anyone else."""

from tests.access.matrix import Rule, expect

FEE_STAFF = expect(403, admin=200, bursar=200)
# Sam's statement: the office, the bursar and Sam's guardian.
SAMS_STATEMENT = expect(404, admin=200, bursar=200, guardian=200)


def _child(s) -> dict:
    return {"pk": s.child.pk}


RULES = [
    Rule("fees:dashboard", expect=FEE_STAFF),
    Rule("fees:aging", expect=FEE_STAFF),
    Rule("fees:collections", expect=FEE_STAFF),
    Rule("fees:cashup", expect=FEE_STAFF),
    # The exports are the same views with ?format=, checked the same way.
    Rule("fees:statement", kwargs=_child, expect=SAMS_STATEMENT),
    Rule("fees:statement_pdf", kwargs=_child, expect=SAMS_STATEMENT),
]
