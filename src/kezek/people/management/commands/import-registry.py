"""``kezek import-registry FILE``: import a registry extract (all or nothing) and print what happened."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kezek.core.errors import error_text
from kezek.domain.errors import DomainError
from kezek.people.services import registry_import

MAX_SHOWN = 200


class Command(BaseCommand):
    help = "Import a kezek.registry/1 extract (.json or .csv). Any rejected record means nothing is changed."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            report = registry_import(path=file)
        except DomainError as exc:
            raise CommandError(error_text(exc)) from None
        self.stdout.write(f"{report.source}: {report.total} records, {report.accepted} accepted, {len(report.rejected)} rejected")
        if report.rejected:
            for rejected in report.rejected[:MAX_SHOWN]:
                reasons = "; ".join(str(r) for r in rejected.reasons)
                self.stdout.write(f"  line {rejected.line} (IIN {rejected.iin or '?'}): {reasons}")
            if len(report.rejected) > MAX_SHOWN:
                self.stdout.write(f"  … and {len(report.rejected) - MAX_SHOWN} more")
            raise CommandError("Nothing was imported: correct the rejected records and import the whole file again.")
        counts = report.counts()
        self.stdout.write(
            "persons: {created} created, {updated} updated, {unchanged} unchanged; "
            "representation links: {links_created} created, {links_updated} updated, {links_removed} removed; "
            "benefits: {benefits_created} created, {benefits_updated} updated, {benefits_removed} removed".format(**counts)
        )
