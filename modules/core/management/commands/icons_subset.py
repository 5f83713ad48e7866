from django.core.management.base import BaseCommand

from modules.core.icons import SUBSET, icons_subset


class Command(BaseCommand):
    help = "Cut the icons the code names out of the vendored Bootstrap Icons (into its subset/ folder)."

    def handle(self, *args, **options):
        names = icons_subset()
        self.stdout.write(f"{len(names)} icons written to {SUBSET}/")
