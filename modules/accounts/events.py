"""What accounts announces about logins (see modules/core/events.py for how events work, and
docs/events.md for the list of every module's events)."""

from __future__ import annotations

from modules.core.events import DomainEvent

user_invited = DomainEvent(
    "accounts.user_invited",
    arguments={
        "user_id": "id of the User who is owed an invitation email (`invitation_due_at` set)",
        "sent_by_caller": "True when the caller sends the email itself at once (the bulk guardian "
        "invitation job, which counts what it sent): receivers must not send it",
    },
    doc="""A login was invited to set its password (`services.user_invite`): by the office from a person's
    page, when a person is given a login, or by the bulk guardian invitation job. Receivers:
    tasks/accounts.py queues `services.invitation_send` unless the caller sends it; an invitation whose
    task is lost is sent by the sweep (`services.invitations_recover`).""",
)

login_deactivated = DomainEvent(
    "accounts.login_deactivated",
    arguments={"user_id": "id of the User who may no longer sign in", "by": "the User who deactivated it"},
    doc="""A login was deactivated (`services.login_deactivate`): its sessions have ended. Receivers:
    modules/api/receivers.py revokes its API tokens (which already stopped working with the login).""",
)
