"""The office's delivery log: administrators only (objects are fetched unscoped, so 403 before 404)."""

import uuid

from tests.access.matrix import ADMIN_ONLY, ADMIN_ONLY_POST, Rule


def _delivery(**fields) -> dict:
    from tests.fakes import queue_delivery

    return {"pk": queue_delivery(key=f"matrix:{uuid.uuid4().hex}", **fields).pk}


RULES = [
    Rule("communications:delivery_list", expect=ADMIN_ONLY),
    Rule("communications:delivery_detail", kwargs=lambda s: _delivery(), expect=ADMIN_ONLY),
    Rule("communications:delivery_email_html", kwargs=lambda s: _delivery(), expect=ADMIN_ONLY),
    Rule(
        "communications:delivery_retry",
        method="post",
        kwargs=lambda s: _delivery(status="failed"),
        expect=ADMIN_ONLY_POST,
    ),
    Rule("communications:delivery_retry_failed", method="post", expect=ADMIN_ONLY_POST),
]
