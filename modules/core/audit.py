"""Audit events. Services call `audit_log` next to the change they make (pretix `log_action` style)."""

from __future__ import annotations

from typing import Any

from django.db import models

from modules.core.models import AuditEvent


def audit_log(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    model: type[models.Model] | None = None,
    description: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Record one change. `obj` names the row; for an action on a set of rows (an export) pass `model`
    and a `description` instead, and the event's object id is "list"."""
    if obj is None and model is None:
        raise ValueError("audit_log needs obj or model")
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=(obj or model)._meta.label_lower,
        object_id=str(obj.pk) if obj is not None else "list",
        object_repr=(str(obj) if obj is not None else description)[:200],
        before=before,
        after=after,
        reason=reason,
    )


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """The audited values of a row, by field name (foreign keys as ids)."""
    return {name: getattr(obj, obj._meta.get_field(name).attname) for name in fields}
