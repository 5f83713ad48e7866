"""The office's homework policy page: administrators only (its POST is tested in
tests/assignments/test_policy.py)."""

from tests.access.matrix import ADMIN_ONLY, ADMIN_ONLY_POST, Rule

RULES = [
    Rule("assignments:policy", expect=ADMIN_ONLY),
    # No service set in the matrix's school: the office is told so, and nothing leaves the portal.
    Rule("assignments:policy_test", method="post", expect=ADMIN_ONLY_POST),
]
