from django.core.management.base import BaseCommand

from kezek.geo.services import geo_sync


class Command(BaseCommand):
    help = "Create or update regions and districts from Kezek's reference data (safe to run again)."

    def handle(self, *args, **options):
        result = geo_sync()
        self.stdout.write(f"regions and districts: {result.created} created, {result.updated} updated")
