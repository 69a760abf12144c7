"""``kezek integrity-scan``: run the phantom scan now (the worker runs it nightly) and print what it found."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from kezek.integrity.services.scan import integrity_scan


class Command(BaseCommand):
    help = "Run the phantom-enrolment scan now: store new flags, suspend unattended places, release those past grace."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Scan as of this day (YYYY-MM-DD); today by default")
        parser.add_argument("--no-suspend", action="store_true", help="Only flag; do not suspend, lift or release")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON")

    def handle(self, *args, date=None, no_suspend=False, json=False, **options):
        try:
            today = dt.date.fromisoformat(date) if date else None
        except ValueError:
            raise CommandError("--date must be YYYY-MM-DD") from None
        result = integrity_scan(today=today, suspend=not no_suspend).as_dict()
        if json:
            self.stdout.write(_dumps(result))
            return
        self.stdout.write(f"Integrity scan for {result['today']} in {result['seconds']:.1f} s:")
        for kind, count in result["found"].items():
            self.stdout.write(f"  {kind:<22} {count}")
        self.stdout.write(
            f"New flags: {result['new_flags']}; suspended: {result['suspended']}, lifted: {result['lifted']}, "
            f"released: {result['released']}."
        )


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False)
