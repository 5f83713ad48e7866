from __future__ import annotations

from allauth.mfa.signals import authenticator_removed
from django.dispatch import receiver

from modules.accounts.middleware import MFA_SESSION_KEY


@receiver(authenticator_removed)
def forget_mfa_enrolment(sender, request, user, authenticator, **kwargs):
    # The middleware caches "enrolled" in the session; removing the authenticator must re-arm it.
    if request is not None:
        request.session.pop(MFA_SESSION_KEY, None)
