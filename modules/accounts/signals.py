"""Audit events for changes allauth makes to a login (its own flows announce them only by signal).

Everything the portal itself changes is audited by the service that makes the change; these receivers
cover the pages allauth serves: a person adding or removing their authenticator, regenerating recovery
codes, changing or resetting their password.
"""

from __future__ import annotations

from allauth.account.signals import password_changed, password_reset, password_set
from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset
from django.dispatch import receiver

from modules.core.audit import audit_log


def _actor(request, user):
    signed_in = getattr(request, "user", None)
    return signed_in if signed_in is not None and signed_in.is_authenticated else user


@receiver(authenticator_added, dispatch_uid="studentflow_audit_authenticator_added")
def audit_authenticator_added(sender, request, user, authenticator, **kwargs):
    audit_log(
        actor=_actor(request, user), action="authenticator.add", obj=user, after={"type": authenticator.type}
    )


@receiver(authenticator_removed, dispatch_uid="studentflow_audit_authenticator_removed")
def audit_authenticator_removed(sender, request, user, authenticator, **kwargs):
    audit_log(
        actor=_actor(request, user),
        action="authenticator.remove",
        obj=user,
        before={"type": authenticator.type},
    )


@receiver(authenticator_reset, dispatch_uid="studentflow_audit_authenticator_reset")
def audit_authenticator_reset(sender, request, user, authenticator, **kwargs):
    audit_log(
        actor=_actor(request, user),
        action="authenticator.reset",
        obj=user,
        after={"type": authenticator.type},
    )


@receiver(password_changed, dispatch_uid="studentflow_audit_password_changed")
@receiver(password_set, dispatch_uid="studentflow_audit_password_set")
@receiver(password_reset, dispatch_uid="studentflow_audit_password_reset")
def audit_password(sender, request, user, signal, **kwargs):
    action = {password_changed: "login.password_change", password_set: "login.password_set"}.get(
        signal, "login.password_reset"
    )
    audit_log(actor=_actor(request, user), action=action, obj=user)
