"""Compliance returns (modules/reports/urls_returns.py): administrators only; everyone else signed in is
refused (403), visitors go to log in. (Each return, its bad dates and its downloads: tests/reports.)"""

from tests.access.matrix import ADMIN_ONLY, ADMIN_ONLY_POST, Rule

RULES = [
    Rule("reports:returns", expect=ADMIN_ONLY),
    Rule(
        "reports:return_detail",
        kwargs={"slug": "attendance"},
        data={"start": "2024-03-01", "end": "2024-03-29"},
        expect=ADMIN_ONLY,
    ),
    # Preparing a long return's PDF on the queue: the office is sent on (to sign in again, or to the job).
    Rule(
        "reports:return_pdf_prepare",
        kwargs={"slug": "attendance"},
        method="post",
        data={"start": "2024-03-01", "end": "2024-03-29"},
        expect=ADMIN_ONLY_POST,
    ),
]
