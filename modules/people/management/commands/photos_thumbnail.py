"""Make the thumbnail of every stored photo that lacks one (modules.people.photos.photos_thumbnail)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from modules.people.photos import photos_thumbnail


class Command(BaseCommand):
    help = "Make the small thumbnail of every student and staff photo that has none yet."

    def handle(self, *args, **options):
        changed = photos_thumbnail()
        self.stdout.write(f"Made or updated {changed} thumbnail(s).")
