"""Notification kinds are declared by the modules that own them and registered with communications
(modules/communications/kinds.py): what is sent is registered, and a new kind needs no migration."""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.template.loader import get_template
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from modules.accounts.models import Role
from modules.communications.kinds import (
    NotificationKind,
    UnknownNotificationKind,
    kind_get,
    kind_register,
    kind_unregister,
    kinds_all,
)
from modules.communications.models import Delivery, Notification, NotificationPreference
from modules.communications.services import notify, recipients_for_users, users_with_profiles

pytestmark = pytest.mark.django_db

MODULES = Path(__file__).resolve().parents[2] / "modules"
PREFERENCES = reverse("communications:notification_preferences")

FIELD_TRIP = NotificationKind(
    key="field_trip",
    label="Field trip consent",
    roles=frozenset({Role.GUARDIAN}),
    # A test kind borrows the announcement's text (title, body, sms) rather than adding a template.
    template="communications/notifications/announcement.txt",
    icon="bus-front",
)


@pytest.fixture
def field_trip():
    """A kind a module would add: registered at run time, never migrated."""
    kind_register(FIELD_TRIP)
    yield FIELD_TRIP
    kind_unregister(FIELD_TRIP.key)


def _kinds_sent_by_notify() -> list[tuple[str, object]]:
    """(where, kind) for every notify() call in modules/: the kind argument resolved to what it names, a
    constant imported from a module's notifications.py or a string key."""
    found = []
    for path in sorted(MODULES.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        imported = {
            alias.asname or alias.name: (node.module, alias.name)
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
            for alias in node.names
        }
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "notify"
            ):
                continue
            arg = (
                node.args[1]
                if len(node.args) > 1
                else next(k.value for k in node.keywords if k.arg == "kind")
            )
            where = f"{path.relative_to(MODULES.parent)}:{node.lineno}"
            if isinstance(arg, ast.Constant):
                found.append((where, arg.value))
            else:
                assert isinstance(arg, ast.Name), f"{where}: name the kind plainly"
                assert arg.id in imported, f"{where}: name the kind plainly"
                module, name = imported[arg.id]
                found.append((where, getattr(importlib.import_module(module), name)))
    return found


def test_it_registers_every_kind_a_module_sends():
    sent = _kinds_sent_by_notify()
    assert len(sent) >= 12  # the call sites of attendance, exams, fees, messages and announcements
    for where, kind in sent:
        registered = kind_get(kind)  # an unregistered kind raises, naming it
        assert isinstance(kind, str) or registered is kind, where
    assert {kind_get(kind).key for _where, kind in sent} == {kind.key for kind in kinds_all()}


def test_it_keeps_each_kind_with_the_module_that_declares_it():
    declared = {}
    for app in apps.get_app_configs():
        if app.name.startswith("modules.") and importlib.util.find_spec(f"{app.name}.notifications"):
            for kind in importlib.import_module(f"{app.name}.notifications").KINDS:
                assert kind.key not in declared, f"{kind.key} is declared twice"
                declared[kind.key] = app.label
                assert kind_get(kind.key) is kind  # registered as declared
                assert kind.template.startswith(f"{app.label}/notifications/")  # its text lives with it
    assert declared.keys() == {kind.key for kind in kinds_all()}  # nothing registered from elsewhere
    assert {"communications", "attendance", "exams", "fees"} <= set(declared.values())


@pytest.mark.parametrize("kind", kinds_all(), ids=lambda kind: kind.key)
def test_it_has_a_title_a_body_and_a_text_message_for_every_kind(kind):
    for part in ("title", "body", "sms"):
        assert get_template(f"{kind.template}#{part}")


def test_it_lists_the_registered_kinds_that_reach_a_person_in_their_language(as_user, guardian, school):
    guardian.language = "fr"
    guardian.save()
    page = as_user(guardian).get(PREFERENCES).content.decode()
    reaching = [kind for kind in kinds_all() if Role.GUARDIAN in kind.roles]
    with translation.override("fr"):
        labels = [str(kind.label) for kind in reaching]
    assert "Notes publiées" in labels
    assert "Nouvelle facture" in labels
    positions = [page.index(f'<th scope="row">{escape(label)}</th>') for label in labels]
    assert positions == sorted(positions)  # in the registry's order
    assert [f'name="{kind.key}-in_app"' in page for kind in reaching] == [True] * len(reaching)
    assert 'name="register_reminder-in_app"' not in page  # a teacher's kind does not reach a guardian


def test_it_sends_and_offers_a_kind_registered_without_a_migration(
    field_trip, as_user, admin, guardian, school
):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)  # no migration for the new kind
    trip = SimpleNamespace(title="Museum trip on Friday", body="Please sign the consent form.")
    result = notify(
        recipients_for_users(users_with_profiles().filter(pk=guardian.pk)),
        field_trip,
        {"announcement": trip},
        event="trip:museum",
        url="/",
    )
    assert (result.notifications, result.deliveries) == (1, 1)
    assert Notification.objects.get(recipient=guardian).kind == "field_trip"
    assert Delivery.objects.get(recipient=guardian).subject == "Museum trip on Friday"

    client = as_user(guardian)
    listing = client.get(reverse("communications:notification_list")).content.decode()
    assert "Museum trip on Friday" in listing
    assert "Field trip consent" in listing
    assert "bi-bus-front" in listing
    page = client.get(PREFERENCES).content.decode()
    assert '<th scope="row">Field trip consent</th>' in page
    client.post(PREFERENCES, {"field_trip-in_app": "on"})
    chosen = NotificationPreference.objects.get(user=guardian, kind="field_trip")
    assert (chosen.in_app, chosen.email) == (True, False)

    log = as_user(admin).get(reverse("communications:delivery_list"), {"kind": "field_trip"}).content.decode()
    assert "Pat Parent" in log
    assert "Field trip consent" in log


def test_it_refuses_to_send_an_unregistered_kind_and_says_how_to_register_it(guardian, school):
    people = recipients_for_users([guardian])
    with pytest.raises(
        UnknownNotificationKind, match=r"Unknown notification kind 'field_trip'.*kind_register"
    ):
        notify(people, "field_trip", {}, event="trip:museum")
    with pytest.raises(UnknownNotificationKind):
        notify(people, FIELD_TRIP, {}, event="trip:museum")  # declared but never registered
    assert not Notification.objects.exists()
    assert not Delivery.objects.exists()


def test_it_refuses_a_second_kind_under_a_taken_key_or_a_key_the_columns_cannot_hold(field_trip):
    kind_register(field_trip)  # the same declaration again: nothing changes
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        kind_register(NotificationKind(key="field_trip", label="Trip", roles=field_trip.roles, template="x"))
    with pytest.raises(ImproperlyConfigured, match="at most 30"):
        kind_register(NotificationKind(key="x" * 31, label="Long", roles=field_trip.roles, template="x"))
    with pytest.raises(ImproperlyConfigured, match="unknown roles or channels"):
        kind_register(NotificationKind(key="trip", label="Trip", roles=frozenset({"janitor"}), template="x"))
    assert kind_get("field_trip") is field_trip
