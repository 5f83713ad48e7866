"""Free text has a length limit in the form and in the database (modules/core/limits.py).

A 32 KB guardian address once made an invoice PDF take 17 seconds. The form refuses it with a message;
a write that skips the form (a script, the admin, an import) is stopped by the database's CHECK constraint,
on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import html

import pytest
from django.db import IntegrityError, transaction
from django.forms import model_to_dict
from django.urls import reverse

from modules.academics.models import CalendarEvent
from modules.communications.models import Message, Thread
from modules.core.models import AuditEvent, SchoolProfile
from modules.people.models import Guardian, Staff, Student
from tests import factories as f
from tests.people.test_import_files import student_row, upload, xlsx_upload

pytestmark = pytest.mark.django_db


def _form_data(instance, fields) -> dict:
    return {key: ("" if value is None else value) for key, value in model_to_dict(instance, fields).items()}


def test_the_guardian_form_refuses_a_32_kb_address_and_keeps_the_old_one(as_user, admin, school):
    guardian = school.guardian_profile
    data = _form_data(
        guardian, ["first_name", "last_name", "email", "phone", "address", "preferred_language"]
    )
    data["address"] = "12 Oak Street " * 2400  # about 32 KB
    response = as_user(admin).post(reverse("people:guardian_edit", args=[guardian.pk]), data)
    text = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "Ensure this value has at most 500 characters" in text
    assert 'maxlength="500"' in text  # the browser stops typing there too
    guardian.refresh_from_db()
    assert len(guardian.address) < 500


@pytest.mark.parametrize(
    ("model", "field", "limit"),
    [
        (Guardian, "address", 500),
        (Staff, "address", 500),
        (Student, "address", 500),
        (Student, "medical_notes", 5000),
        (SchoolProfile, "address", 500),
        (AuditEvent, "reason", 2000),
        (CalendarEvent, "notes", 2000),
        (Message, "body", 10_000),
    ],
)
def test_the_database_refuses_text_over_the_limit(model, field, limit, school):
    instance = {
        Guardian: lambda: school.guardian_profile,
        Staff: lambda: school.teacher_staff,
        Student: lambda: school.child,
        SchoolProfile: SchoolProfile.load,
        AuditEvent: lambda: AuditEvent.objects.create(action="test", object_type="x", object_id="1"),
        CalendarEvent: lambda: f.CalendarEventFactory(),
        Message: lambda: Message.objects.create(
            thread=Thread.objects.create(subject="Trip", created_by=school.teacher_staff.user), body="Hello"
        ),
    }[model]()
    model.objects.filter(pk=instance.pk).update(**{field: "x" * limit})  # at the limit: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.filter(pk=instance.pk).update(**{field: "x" * (limit + 1)})
    instance.refresh_from_db()
    assert len(getattr(instance, field)) == limit


def test_an_import_row_with_an_overlong_address_is_a_problem_in_the_dry_run(as_user, admin, school):
    response = upload(as_user(admin), xlsx_upload([student_row(1, address="x" * 501)], headers=[*_HEADERS]))
    text = html.unescape(response.content.decode())
    assert "Row 2: address is too long (at most 500 characters)." in text
    assert not Student.objects.filter(admission_number="N0001").exists()


_HEADERS = [
    "admission_number",
    "first_name",
    "last_name",
    "date_of_birth",
    "gender",
    "section",
    "address",
    "guardian1_first_name",
    "guardian1_last_name",
    "guardian1_email",
    "guardian1_relationship",
]


def test_the_migration_step_cuts_only_rows_over_the_limit(admin):
    """What each text_length_limits migration runs before adding its constraint (shown on a column that
    has no constraint, so the long row can exist)."""
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    from modules.core.limits import text_truncate
    from modules.core.models import Job

    long, short = (Job.objects.create(kind="test", owner=admin, message=text) for text in ("é" * 600, "fine"))
    text_truncate("core.Job", "message", 500).code(apps, SimpleNamespace(connection=connection))
    long.refresh_from_db()
    short.refresh_from_db()
    assert long.message == "é" * 500
    assert short.message == "fine"
    # Nothing typed is lost: the whole text is kept in the audit log, where the office can read it.
    kept = AuditEvent.objects.get(action="text.truncated")
    assert (kept.object_type, kept.object_id) == ("core.job", str(long.pk))
    assert kept.before == {"message": "é" * 600}
    assert kept.after == {"message": "é" * 500}
