"""`manage.py attendance_tallies [--from DAY] [--to DAY]`: recount the registers' tallies and the students'
term tallies from the records (services.tallies_rebuild). The migration that created the tallies filled them
in once; run this after loading records in bulk (an import, a restored backup) or to check them: it prints
how many register tallies it had to correct. Safe while the school is marking."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError

from modules.attendance.services import tallies_rebuild


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"{value!r} is not a day (YYYY-MM-DD).") from error


class Command(BaseCommand):
    help = "Recount the attendance tallies (per register, and per student per term) from the records."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", type=_day, help="first day (default: the first register)")
        parser.add_argument("--to", dest="end", type=_day, help="last day (default: the last register)")

    def handle(self, *args, start: datetime.date | None, end: datetime.date | None, **options):
        changed = tallies_rebuild(start=start, end=end)
        self.stdout.write(f"Tallies recounted; {changed} register tallies were missing or wrong.")
