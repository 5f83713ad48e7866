"""The API's subscriptions to lower modules' events (imported by ApiConfig.ready())."""

from __future__ import annotations

from django.dispatch import receiver

from modules.accounts.events import login_deactivated
from modules.accounts.models import User
from modules.api.tokens import tokens_revoke_for


@receiver(login_deactivated, dispatch_uid="api.revoke_tokens_of_deactivated_login")
def revoke_tokens(sender, *, user_id, by, **kwargs) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is not None and not user.is_active:
        tokens_revoke_for(user, by=by)
