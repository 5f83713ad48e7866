"""Grant or revoke superuser status from the command line: the only place it can change (the admin shows
it read-only), so that whoever holds the server decides, and an audit event records it."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from modules.accounts.models import User
from modules.accounts.services import user_superuser_set


class Command(BaseCommand):
    help = "Grant (or with --revoke, take away) superuser status for an existing login."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--revoke", action="store_true", help="take superuser status away")

    def handle(self, *args, email: str, revoke: bool, **options):
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No login uses {email}.")
        changed = user_superuser_set(user=user, is_superuser=not revoke)
        state = "is no longer" if revoke else "is now"
        self.stdout.write(f"{user.email} {state} a superuser." if changed else "Nothing to change.")
