"""Domain events (modules/core/events.py): delivered once the sender's transaction commits, never for a
change that was rolled back, with exactly the declared arguments, and a receiver that fails is logged
without stopping the others or the sender."""

from __future__ import annotations

import logging

import pytest
from django.db import transaction

from modules.core.events import DomainEvent

pytestmark = pytest.mark.django_db

thing_done = DomainEvent(
    "tests.thing_done",
    arguments={"thing_id": "id of the thing", "by": "who did it"},
    doc="A thing was done (declared for these tests).",
)


@pytest.fixture
def heard():
    """What a receiver of thing_done was told, in order."""
    calls: list[dict] = []

    def listen(sender, **arguments):
        calls.append({"sender": sender, **{k: v for k, v in arguments.items() if k != "signal"}})

    thing_done.connect(listen, dispatch_uid="tests.listen")
    yield calls
    thing_done.disconnect(dispatch_uid="tests.listen")


def test_it_is_delivered_after_the_commit_not_before(heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            thing_done.send_on_commit(thing_id=7, by="ada")
            assert heard == []
        assert heard == []  # the test's own transaction has not committed yet either
    assert heard == [{"sender": "tests", "thing_id": 7, "by": "ada"}]


def test_it_sends_nothing_for_a_change_rolled_back(heard, django_capture_on_commit_callbacks):
    def change_that_fails():
        with transaction.atomic():
            thing_done.send_on_commit(thing_id=1, by="ada")
            raise RuntimeError("the change failed")

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError, match="the change failed"):
            change_that_fails()
        with transaction.atomic():
            thing_done.send_on_commit(thing_id=2, by="ada")
    assert [call["thing_id"] for call in heard] == [2]


def test_it_refuses_arguments_that_were_not_declared(heard, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(TypeError, match=r"missing \['by', 'thing_id'\], unknown \['thing'\]"),
    ):
        thing_done.send_on_commit(thing=1)
    assert heard == []


def test_a_failing_receiver_is_logged_and_the_others_still_hear(
    heard, django_capture_on_commit_callbacks, caplog
):
    def broken(sender, **arguments):
        raise ValueError("receiver bug")

    # Connected before the listener: the listener runs after it failed.
    thing_done.disconnect(dispatch_uid="tests.listen")
    thing_done.connect(broken, dispatch_uid="tests.broken")
    thing_done.connect(
        lambda sender, **a: heard.append(a["thing_id"]), dispatch_uid="tests.after", weak=False
    )
    try:
        with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
            thing_done.send_on_commit(thing_id=3, by="ada")
    finally:
        thing_done.disconnect(dispatch_uid="tests.broken")
        thing_done.disconnect(dispatch_uid="tests.after")
    assert heard == [3]
    ours = [record for record in caplog.records if record.name == "modules.core.events"]
    assert len(ours) == 1
    message = ours[0].getMessage()
    assert "tests.thing_done" in message
    assert "ValueError: receiver bug" in message
    assert "'thing_id': 3" in message
    assert any(record.name == "django.dispatch" and record.exc_info for record in caplog.records)
