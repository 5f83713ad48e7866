"""The office's homework policy page: administrators only (its POST is tested in
tests/assignments/test_policy.py)."""

from tests.access.matrix import ADMIN_ONLY, Rule

RULES = [
    Rule("assignments:policy", expect=ADMIN_ONLY),
]
