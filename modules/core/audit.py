"""Audit events. Services call `audit_log` next to the change they make (pretix `log_action` style)."""

from __future__ import annotations

from typing import Any

from django.db import models

from modules.core.models import AuditEvent


def audit_log(
    *,
    actor,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=before,
        after=after,
        reason=reason,
    )


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """The audited values of a row, by field name (foreign keys as ids)."""
    return {name: getattr(obj, obj._meta.get_field(name).attname) for name in fields}
