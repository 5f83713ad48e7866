from __future__ import annotations

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from modules.accounts.models import User
from modules.core.models import SchoolProfile


def user_create_for_person(*, email: str, first_name: str, last_name: str, language: str = "en") -> User:
    """A login for a person the office registers. It has no password until the invitation is accepted."""
    return User.objects.create_user(
        email=email, password=None, first_name=first_name, last_name=last_name, language=language
    )


def user_invite(*, user: User) -> None:
    """Queue the invitation email once the surrounding transaction commits."""
    from tasks.accounts import send_invitation

    transaction.on_commit(lambda: send_invitation(user.pk))


def invitation_send(*, user_id: int, base_url: str | None = None) -> bool:
    """Send the set-password invitation. Safe to run twice: an account that has a password is skipped."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.has_usable_password():
        return False
    key = default_token_generator.make_token(user)
    path = reverse("account_reset_password_from_key", kwargs={"uidb36": user_pk_to_url_str(user), "key": key})
    link = f"{(base_url or settings.STUDENTFLOW_BASE_URL).rstrip('/')}{path}"
    school = SchoolProfile.load()
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {"user": user, "link": link, "school": school}
        subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
        text = render_to_string("accounts/email/invitation.txt", context)
        html = render_to_string("accounts/email/invitation.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
    message.attach_alternative(html, "text/html")
    message.send()
    return True
