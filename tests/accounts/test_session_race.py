"""Two requests of one session, interleaved: each one's writes survive the other's save.

Django's stores save the whole session: a request that loaded it before a role switch and saved after it
(the bell poll, any request that wrote a key of its own) put the old role back. The portal's stores
(modules/core/sessions) apply each request's own changes to the session as stored when it saves.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.backends import cache, db
from django.contrib.sessions.backends.base import UpdateError
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from modules.accounts.roles import SESSION_KEY as ROLE
from modules.accounts.services import user_sessions_end
from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]
ENGINES = ["modules.core.sessions.db", "modules.core.sessions.cached_db", "modules.core.sessions.cache"]


@pytest.fixture(params=ENGINES)
def store_class(request, db):
    """Each engine's SessionStore; the cache one uses the configured cache (Redis in CI's second run)."""
    return import_module(request.param).SessionStore


def new_session(store_class, **data) -> str:
    store = store_class()
    store.update(data)
    store.save()
    return store.session_key


def loaded(store_class, key: str):
    """A request's view of the session: loaded now, saved later."""
    store = store_class(key)
    store.load_now = store.get(ROLE)  # reading loads it, as the first use in a request does
    return store


def stored(store_class, key: str) -> dict:
    return dict(store_class(key).items())


def test_it_keeps_both_writes_when_two_requests_interleave(store_class):
    key = new_session(store_class, active_role="teacher", _auth_user_id="7")
    poll = loaded(store_class, key)
    switch = loaded(store_class, key)
    switch[ROLE] = "guardian"
    switch.save()
    poll["bell_seen"] = "12-3"
    poll.save()
    assert stored(store_class, key) == {"active_role": "guardian", "_auth_user_id": "7", "bell_seen": "12-3"}
    # The request that saved last also sees the other's write from then on.
    assert poll[ROLE] == "guardian"


def test_it_lets_the_last_writer_of_a_key_win(store_class):
    key = new_session(store_class, active_role="teacher")
    first = loaded(store_class, key)
    second = loaded(store_class, key)
    first[ROLE] = "guardian"
    first.save()
    second[ROLE] = "teacher"  # "teacher" is what this request read, but not what it set: it was re-set
    second["x"] = 1
    second.save()
    assert stored(store_class, key)[ROLE] == "guardian"
    third = loaded(store_class, key)
    third[ROLE] = "bursar"
    third.save()
    assert stored(store_class, key)[ROLE] == "bursar"


def test_a_request_writing_back_what_it_read_does_not_undo_a_newer_write(store_class):
    key = new_session(store_class, active_role="teacher")
    background = loaded(store_class, key)
    switch = loaded(store_class, key)
    switch[ROLE] = "guardian"
    switch.save()
    background[ROLE] = background[ROLE]  # rewrites the value it loaded
    background.save()
    assert stored(store_class, key)[ROLE] == "guardian"


def test_it_keeps_removals_and_changes_made_in_place(store_class):
    key = new_session(store_class, active_role="teacher", stash="x", records=[{"method": "password"}])
    remover = loaded(store_class, key)
    appender = loaded(store_class, key)
    del remover["stash"]
    remover.save()
    appender["records"].append({"method": "mfa"})  # a list changed in place, as allauth records a step
    appender.modified = True
    appender.save()
    assert stored(store_class, key) == {
        "active_role": "teacher",
        "records": [{"method": "password"}, {"method": "mfa"}],
    }


def test_it_writes_nothing_when_nothing_changed(store_class, django_assert_num_queries):
    key = new_session(store_class, active_role="teacher")
    before = caches[settings.SESSION_CACHE_ALIAS].get(f"django.contrib.sessions.cache{key}")
    request = loaded(store_class, key)
    request[ROLE] = "teacher"
    with django_assert_num_queries(0):
        request.save()
    assert caches[settings.SESSION_CACHE_ALIAS].get(f"django.contrib.sessions.cache{key}") == before


def test_it_does_not_bring_back_a_session_ended_meanwhile(store_class):
    key = new_session(store_class, active_role="teacher")
    late = loaded(store_class, key)
    store_class(key).flush()  # signed out in another tab
    late["bell_seen"] = "1-0"
    with pytest.raises(UpdateError):
        late.save()
    assert not store_class().exists(key)


def test_cycle_key_and_flush_replace_the_whole_session(store_class):
    key = new_session(store_class, active_role="teacher", stash="old")
    store = loaded(store_class, key)
    store.cycle_key()
    store["_auth_user_id"] = "9"
    store.save()
    assert store.session_key != key
    assert not store_class().exists(key)
    assert stored(store_class, store.session_key) == {
        "active_role": "teacher",
        "stash": "old",
        "_auth_user_id": "9",
    }
    new_key = store.session_key
    store.flush()
    assert not store_class().exists(new_key)


# ----------------------------------------------------------------------------------------------- over HTTP


@pytest.fixture
def teacher_and_parent(teacher):
    f.GuardianFactory(user=teacher, first_name="Tom", last_name="Teach", email=teacher.email)
    return teacher


class PollThatRaces:
    """Middleware standing in for a background request that loads the session, waits while another request
    of the same session runs (`during`), then writes a key of its own and is saved after it."""

    during = None

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == reverse("communications:notification_bell") and PollThatRaces.during:
            request.session.get(ROLE)  # loaded before the other request runs
            during, PollThatRaces.during = PollThatRaces.during, None
            during()
            request.session["bell_seen"] = request.GET.get("seen", "")
        return self.get_response(request)


def test_a_role_switch_made_during_a_poll_holds(client, teacher_and_parent, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.PollThatRaces"]
    client.force_login(teacher_and_parent)
    assert client.get(reverse("home")).context["active_role"] == "teacher"
    other_tab = Client()
    other_tab.cookies = client.cookies

    def switch():
        response = other_tab.post(reverse("switch_role"), {"role": "guardian"}, follow=True)
        assert "You are now using the portal as: Parent / guardian." in response.text

    PollThatRaces.during = switch
    client.get(reverse("communications:notification_bell"), {"seen": "0-0"}, headers={"HX-Request": "true"})
    assert PollThatRaces.during is None  # the switch ran inside the poll

    response = client.get(reverse("home"))
    assert response.context["active_role"] == "guardian"
    assert '<option value="guardian" selected>' in response.text
    session = client.session
    assert session["bell_seen"] == "0-0"


def test_a_poll_that_changes_nothing_does_not_write_the_session(client, teacher_and_parent, monkeypatch):
    client.force_login(teacher_and_parent)
    client.post(reverse("switch_role"), {"role": "guardian"})
    writes = []
    for django_store in (db.SessionStore, cache.SessionStore):  # cached_db saves through db's save
        original = django_store.save
        monkeypatch.setattr(
            django_store,
            "save",
            lambda self, *a, _original=original, **k: writes.append(1) or _original(self, *a, **k),
        )
    for _ in range(3):
        response = client.get(reverse("communications:notification_bell"), headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert writes == []
    client.post(reverse("switch_role"), {"role": "teacher"})
    assert writes  # a switch does write


def test_ended_sessions_stay_ended(client, teacher_and_parent, admin):
    client.force_login(teacher_and_parent)
    client.post(reverse("switch_role"), {"role": "guardian"})
    user_sessions_end(user=teacher_and_parent, by=admin, reason="lost phone")
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert client.get(reverse("communications:notification_bell")).status_code == 302


def test_signing_in_again_starts_a_new_session(client, teacher_and_parent, password):
    client.force_login(teacher_and_parent)
    client.post(reverse("switch_role"), {"role": "guardian"})
    old_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(reverse("account_logout"))
    assert not import_module(settings.SESSION_ENGINE).SessionStore().exists(old_key)
    client.post(reverse("account_login"), {"login": teacher_and_parent.email, "password": password})
    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != old_key
    assert client.get(reverse("home")).context["active_role"] == "teacher"


# ------------------------------------------------------------------------------- several workers, no Redis


def deployment_engine(module: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    clean.update(DJANGO_SETTINGS_MODULE=module, SECRET_KEY="x" * 60, ALLOWED_HOSTS="portal.school.example")
    clean.update(env)
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings; print(settings.SESSION_ENGINE)",
        ],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_deployments_use_the_merging_stores():
    assert deployment_engine("portal.settings.production") == "modules.core.sessions.db"
    assert deployment_engine("portal.settings.development") == "modules.core.sessions.db"
    redis = {"REDIS_URL": "redis://cache.internal:6379/0"}
    assert deployment_engine("portal.settings.production", **redis) == "modules.core.sessions.cache"


def test_without_redis_a_worker_reads_what_another_worker_wrote(db, settings):
    """gunicorn's workers each have their own local-memory cache: a session one of them cached must not
    hide what another wrote (a role switched on one worker, the next page served by the other)."""
    settings.CACHES = {
        **settings.CACHES,
        "worker-1": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "worker-1"},
        "worker-2": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "worker-2"},
    }
    engine = import_module(deployment_engine("portal.settings.production"))

    def on_worker(name: str, key: str | None = None):
        settings.SESSION_CACHE_ALIAS = name
        return engine.SessionStore(key)

    key = new_session(lambda k=None: on_worker("worker-1", k), active_role="teacher")
    assert on_worker("worker-1", key)[ROLE] == "teacher"  # worker 1 has served (and may have cached) it
    switch = on_worker("worker-2", key)
    switch[ROLE] = "guardian"
    switch.save()
    assert on_worker("worker-1", key)[ROLE] == "guardian"
