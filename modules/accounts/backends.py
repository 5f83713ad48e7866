from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend

from modules.accounts.models import User


class PortalBackend(AuthenticationBackend):
    """allauth's email backend, loading the user's profiles in the same query as the user.

    Every page needs the user's roles (navigation, access); one join here saves three queries per request.
    """

    def get_user(self, user_id):
        try:
            user = User.objects.select_related("staff_profile", "guardian_profile", "student_profile").get(
                pk=user_id
            )
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
