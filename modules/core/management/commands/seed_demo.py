"""`manage.py seed_demo --size small|large`: load the demo school (never under production settings)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from modules.core import demo


class Command(BaseCommand):
    help = (
        "Load a realistic demo school (staff, sections, timetable, families) into an empty database. "
        "Running it again does nothing. Refused under production settings."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--size",
            choices=sorted(demo.SIZES),
            default="small",
            help="small: about 300 students in 12 sections; large: 3,000 students in 100 sections.",
        )

    def handle(self, *args, size: str, **options):
        reason = demo.demo_refusal_reason()
        if reason:
            raise CommandError(reason)
        if demo.demo_school_exists():
            self.stdout.write(f"The demo school is already loaded (found {demo.ADMIN_EMAIL}); nothing to do.")
            self._print_logins()
            return
        self.stdout.write(f"Loading the {size} demo school…")
        started = time.perf_counter()
        try:
            ctx = demo.demo_school_seed(size=size, report=self.stdout.write)
        except demo.DemoSchoolError as error:
            raise CommandError(str(error)) from error
        counts = ", ".join(f"{name.replace('_', ' ')}: {value:,}" for name, value in ctx.counts.items())
        self.stdout.write(counts)
        self.stdout.write(
            self.style.SUCCESS(f"The demo school is loaded ({time.perf_counter() - started:.1f} s).")
        )
        self._print_logins()

    def _print_logins(self) -> None:
        self.stdout.write(f"\nDemo logins (password: {demo.DEMO_PASSWORD}):")
        width = max(len(email) for email, _role in demo.DEMO_LOGINS)
        for email, role in demo.DEMO_LOGINS:
            self.stdout.write(f"  {email:<{width}}  {role}")
