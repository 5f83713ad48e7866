"""Audit events. Services call `audit_log` next to the change they make (pretix `log_action` style)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models
from django.db.models.options import Options
from django.utils import timezone

from modules.core.models import AuditEvent, RecordView


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
    named = obj if obj is not None else model
    if named is None:
        raise ValueError("audit_log needs obj or model")
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=named._meta.label_lower,
        object_id=str(obj.pk) if obj is not None else "list",
        object_repr=(str(obj) if obj is not None else description)[:200],
        before=before,
        after=after,
        reason=reason,
    )


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """The audited values of a row, by field name (foreign keys as ids)."""
    return {name: getattr(obj, _column_field(obj._meta, name)[0].attname) for name in fields}


def _column_field(meta: Options, name: str) -> tuple[models.Field, str]:
    """A model's field that is a column of its table, and the column's name."""
    field = meta.get_field(name)
    if not isinstance(field, models.Field) or field.column is None:
        raise FieldDoesNotExist(f"{meta.label}.{name} is not a column")
    return field, field.column


def record_view_log(*, actor, obj: models.Model, kind: str) -> None:
    """Note that `actor` (staff) looked at `obj`, a sensitive record, as `kind` (RecordViewKind).

    One row per (actor, record, kind, day) counts the views and keeps the last time, so that a teacher
    reopening a pupil's page all day adds no rows. It is one INSERT ... ON CONFLICT DO UPDATE statement
    (SQLite and PostgreSQL both have it): the pages it is called from pay one query for it, and two people
    viewing at the same moment cannot both insert the day's row."""
    if actor is None or not actor.is_authenticated:
        return
    now = timezone.now()
    values = {
        "actor_id": actor.pk,
        "object_type": obj._meta.label_lower,
        "object_id": str(obj.pk),
        "object_repr": str(obj)[:200],
        "kind": kind,
        "day": timezone.localdate(now),
        "count": 1,
        "first_at": now,
        "last_at": now,
    }
    meta = RecordView._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_column_field(meta, name)[1]) for name in values)
    params = [
        _column_field(meta, name)[0].get_db_prep_save(value, connection) for name, value in values.items()
    ]
    table, count = quote(meta.db_table), quote("count")
    key = ", ".join(quote(name) for name in ("actor_id", "object_type", "object_id", "kind", "day"))
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(values))}) "
        f"ON CONFLICT ({key}) DO UPDATE SET {count} = {table}.{count} + 1, "
        f"{quote('last_at')} = EXCLUDED.{quote('last_at')}, "
        f"{quote('object_repr')} = EXCLUDED.{quote('object_repr')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
