"""The office's audit log (modules/people/audit_log.py): administrators only, both tabs."""

from tests.access.matrix import ADMIN_ONLY, Rule

RULES = [
    Rule("people:audit_log", data={"show": "views"}, expect=ADMIN_ONLY),
]
