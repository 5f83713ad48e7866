"""Re-encode the profile photos stored before uploads were re-encoded (modules.people.photos)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from modules.people.photos import photos_reencode


class Command(BaseCommand):
    help = "Re-encode every stored student and staff photo; remove those that are not images."

    def handle(self, *args, **options):
        result = photos_reencode()
        self.stdout.write(f"Re-encoded {result.rewritten} photo(s).")
        for who in result.removed:
            self.stdout.write(f"Removed a stored photo that is not an image: {who}")
