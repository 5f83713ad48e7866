"""The school's homework policy (HomeworkPolicy): the office changes it here, with an audit event."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from modules.accounts.models import User
from modules.assignments.models import HomeworkPolicy
from modules.core.audit import audit_log, snapshot

POLICY_FIELDS = [
    "max_file_bytes",
    "max_submission_bytes",
    "max_files",
    "similarity_flag_percent",
    "similarity_service_url",
]


@transaction.atomic
def homework_policy_update(*, changes: dict[str, Any], by: User) -> HomeworkPolicy:
    """Write the office's changes to the policy (fields of POLICY_FIELDS only), audited."""
    HomeworkPolicy.current()
    policy = HomeworkPolicy.objects.select_for_update().get(pk=1)
    before = snapshot(policy, POLICY_FIELDS)
    for name in POLICY_FIELDS:
        if name in changes:
            setattr(policy, name, changes[name])
    policy.full_clean()
    policy.save()
    after = snapshot(policy, POLICY_FIELDS)
    if after != before:
        audit_log(actor=by, action="assignments.policy", obj=policy, before=before, after=after)
    return policy
