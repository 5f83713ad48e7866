"""Invitations on the queue: the set-password email a login is owed once accounts announces it
(`user_invited`, modules/accounts/events.py)."""

from __future__ import annotations

from django.dispatch import receiver
from huey.contrib.djhuey import db_task

from modules.accounts.events import user_invited
from modules.accounts.services import invitation_send


@db_task(retries=3, retry_delay=60)
def send_invitation(user_id: int) -> bool:
    return invitation_send(user_id=user_id)


@receiver(user_invited, dispatch_uid="tasks.accounts.on_user_invited")
def on_user_invited(sender, *, user_id: int, sent_by_caller: bool, **kwargs) -> None:
    if not sent_by_caller:
        send_invitation(user_id)
