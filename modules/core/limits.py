"""Length limits of free text, held by the database as well as the forms.

A 32 KB guardian address made an invoice PDF take 17 seconds; 320 KB killed the worker. `max_length` on a
TextField is enforced only by forms, and neither SQLite nor PostgreSQL enforces it; SQLite does not even
enforce varchar(N). So every free-text column a person can fill declares its limit twice: `max_length`
(the form's validation and the browser's maxlength) and `text_length_check` (a CHECK constraint, the
same on both databases, which also stops writes that bypass forms: imports, the admin, scripts).
"""

from __future__ import annotations

from django.db import migrations, models
from django.db.models.functions import Length, Substr
from django.db.models.lookups import LessThanOrEqual
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

ADDRESS_MAX_LENGTH = 500
NOTES_MAX_LENGTH = 2_000
HEALTH_NOTES_MAX_LENGTH = 5_000
REASON_MAX_LENGTH = 2_000
MESSAGE_MAX_LENGTH = 10_000
TERM_COMMENT_MAX_LENGTH = 1_500


def text_length_check(field: str, limit: int) -> models.CheckConstraint:
    """A CHECK constraint keeping `field` at most `limit` characters.

    Named per model (%(class)s), so an abstract model can declare it for all its children."""
    return models.CheckConstraint(
        condition=LessThanOrEqual(Length(field), limit),
        name=f"%(app_label)s_%(class)s_{field}_length",
        violation_error_message=format_lazy(
            gettext_lazy("This text is too long: at most {limit} characters."), limit=limit
        ),
    )


def text_truncate(model: str, field: str, limit: int) -> migrations.RunPython:
    """A migration step cutting existing values of `model` ("app.Model") `field` to `limit` characters.

    Runs before the migration adds `text_length_check`, which an existing longer row would otherwise make
    fail. Nothing typed is lost: each cut value is kept whole in an audit event ("text.truncated", the
    full text in `before`), which the office finds in the audit log. Expected to touch no row on a real
    school's data (the limits are far above real addresses and notes); it exists for pasted-in junk.
    The migration using it depends on core's first migration (the audit log)."""

    def cut(apps, schema_editor) -> None:
        alias = schema_editor.connection.alias
        rows = apps.get_model(model)._default_manager.using(alias)
        audit = apps.get_model("core", "AuditEvent")._default_manager.using(alias)
        too_long = rows.annotate(chars=Length(field)).filter(chars__gt=limit)
        for pk, text in too_long.values_list("pk", field).iterator():
            audit.create(
                action="text.truncated",
                object_type=model.lower(),
                object_id=str(pk),
                object_repr=f"{model} {pk}: {field}",
                before={field: text},
                after={field: text[:limit]},
                reason=f"Cut to {limit} characters when the length limit was introduced; the whole text "
                "is kept in this event.",
            )
        too_long.update(**{field: Substr(field, 1, limit)})

    return migrations.RunPython(cut, migrations.RunPython.noop, elidable=True)
