"""`manage.py seed_demo --size small|large`: load the demo school (never under production settings)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from modules.accounts.demo import ADMIN_EMAIL, DEMO_LOGINS, DEMO_PASSWORD, demo_school_exists
from modules.core.demo import SIZES
from modules.demo.seed import DemoSchoolError, demo_refusal_reason, demo_school_seed


class Command(BaseCommand):
    help = (
        "Load a realistic demo school (staff, sections, timetable, families) into an empty database. "
        "Running it again does nothing. Refused under production settings."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--size",
            choices=sorted(SIZES),
            default="small",
            help="small: about 300 students in 12 sections; large: 3,000 students in 100 sections.",
        )

    def handle(self, *args, size: str, **options):
        reason = demo_refusal_reason()
        if reason:
            raise CommandError(reason)
        if demo_school_exists():
            self.stdout.write(f"The demo school is already loaded (found {ADMIN_EMAIL}); nothing to do.")
            self._print_logins()
            return
        self.stdout.write(f"Loading the {size} demo school…")
        started = time.perf_counter()
        try:
            ctx = demo_school_seed(size=size, report=self.stdout.write)
        except DemoSchoolError as error:
            raise CommandError(str(error)) from error
        counts = ", ".join(f"{name.replace('_', ' ')}: {value:,}" for name, value in ctx.counts.items())
        self.stdout.write(counts)
        self.stdout.write(
            self.style.SUCCESS(f"The demo school is loaded ({time.perf_counter() - started:.1f} s).")
        )
        self._print_logins()

    def _print_logins(self) -> None:
        self.stdout.write(f"\nDemo logins (password: {DEMO_PASSWORD}):")
        width = max(len(email) for email, _role in DEMO_LOGINS)
        for email, role in DEMO_LOGINS:
            self.stdout.write(f"  {email:<{width}}  {role}")
