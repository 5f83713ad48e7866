"""`manage.py subject_results [--term ID ...]`: count the students' stored term averages per class again from
the marks (exams.results.results_rebuild). The migration that created them counted them once and the services
keep them in step; run this after loading marks around the services (an import straight into the database, a
restored backup). Safe while teachers are marking: each term is counted again in one transaction."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from modules.exams.results import results_rebuild


class Command(BaseCommand):
    help = "Count the students' term averages per class again from the marks."

    def add_arguments(self, parser):
        parser.add_argument(
            "--term", dest="terms", type=int, action="append", help="a term's id (repeatable)"
        )

    def handle(self, *args, terms: list[int] | None, **options):
        rows = results_rebuild(terms)
        self.stdout.write(f"Term averages counted again: {rows} stored.")
