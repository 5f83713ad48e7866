"""Domain events: how a module tells the floors above it what happened without importing them.

A module declares its events in its own `events.py` and sends them from the service that makes the
change; a higher module (fees, communications, `tasks/`) subscribes in its `AppConfig.ready()`. The
sender never imports a subscriber, so the floor order holds (pretix `base/signals.py` is the model).

    # modules/academics/events.py (the lower floor declares and documents)
    enrollments_created = DomainEvent(
        "academics.enrollments_created",
        arguments={"enrollment_ids": "ids of the new enrolments", "by": "the User who enrolled them"},
        doc="Students were put in a section ...",
    )

    # modules/academics/services.py (the service that writes the rows sends)
    enrollments_created.send_on_commit(enrollment_ids=[e.pk for e in rows], by=by)

    # modules/fees/receivers.py (the higher floor subscribes; imported by FeesConfig.ready())
    @receiver(enrollments_created, dispatch_uid="fees.bill_late_enrolments")
    def bill(sender, *, enrollment_ids, by, **kwargs): ...

The rules, and why:
- Sent after the transaction commits (`transaction.on_commit`): a receiver sees the rows the event names,
  and a rolled-back change announces nothing. Outside a transaction the event is delivered at once.
- Arguments name rows by id, never as model instances: the receiver reads what was committed. The one
  object passed is `by`, the User who acted (a receiver's own audit events name them too).
- Every declared argument is passed, and nothing else: a mistyped name fails at the sender, in its tests.
- Delivery is robust: a receiver that raises is logged (Django logs the traceback on `django.dispatch`;
  this module adds which event and which arguments, on `modules.core.events`) and the other receivers
  still run. The sender's change is already committed and the person who made it is told it succeeded,
  so a receiver must leave a way to catch up (fees: generating an instalment again bills every enrolled
  student who has no invoice for it).
- Receivers run in the sender's process, one after another, each in its own transaction if it opens one.
  A receiver with slow work enqueues a task instead of doing it.
- Receivers are idempotent: the same event delivered twice (a retried request, a sweeper) changes nothing
  the second time.

Tests: pytest-django's `db` runs each test inside a transaction that is never committed, so on-commit
callbacks do not run by themselves. Wrap the action in `django_capture_on_commit_callbacks(execute=True)`
(tests/fees/test_enrolment_billing.py); callbacks queued while those run are run as well.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)


class DomainEvent(Signal):
    """A documented signal, sent after commit. `name` is "<module>.<what happened>"; `arguments` maps each
    keyword a receiver gets to what it means; `doc` says who sends it and when."""

    def __init__(self, name: str, *, arguments: Mapping[str, str], doc: str) -> None:
        super().__init__()
        self.name = name
        self.arguments = dict(arguments)
        self.__doc__ = doc

    def __repr__(self) -> str:
        return f"<DomainEvent {self.name}>"

    def send_on_commit(self, *, using: str | None = None, **arguments: Any) -> None:
        """Deliver the event to its receivers once the current transaction commits (at once outside one).
        The sender is the event's module (`name` before the dot)."""
        missing = self.arguments.keys() - arguments.keys()
        unknown = arguments.keys() - self.arguments.keys()
        if missing or unknown:
            raise TypeError(
                f"{self.name} takes {sorted(self.arguments)}: "
                f"missing {sorted(missing)}, unknown {sorted(unknown)}"
            )
        transaction.on_commit(lambda: self.deliver(**arguments), using=using)

    def deliver(self, **arguments: Any) -> None:
        """Call every receiver now; one that raises is logged and does not stop the others."""
        sender = self.name.split(".", 1)[0]
        for receiver, result in self.send_robust(sender, **arguments):
            if isinstance(result, Exception):
                logger.error(
                    "Receiver %s of %s failed (%s: %s); arguments %r",
                    getattr(receiver, "__qualname__", receiver),
                    self.name,
                    type(result).__name__,
                    result,
                    arguments,
                )
