"""``kezek generate-registry --families N --seed S OUT.json|OUT.csv``: write a synthetic registry extract."""

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kezek.core.errors import error_text
from kezek.domain.errors import DomainError
from kezek.domain.synthetic_registry import generate_registry
from kezek.geo.models import District
from kezek.people.services import registry_write


class Command(BaseCommand):
    help = "Write a deterministic synthetic registry extract (same seed, same data) for demos and load tests."

    def add_arguments(self, parser):
        parser.add_argument("out", type=Path, help="Output file, .json or .csv")
        parser.add_argument("--families", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--reference-date", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD; today by default")
        parser.add_argument(
            "--district", action="append", dest="districts", help="District code (repeatable); all districts by default"
        )

    def handle(self, *args, out: Path, families: int, seed: int, reference_date, districts, **options):
        if families < 0:
            raise CommandError("--families must not be negative")
        codes = districts or list(District.objects.order_by("code").values_list("code", flat=True))
        records = generate_registry(
            families=families, seed=seed, reference_date=reference_date or timezone.localdate(), district_codes=codes
        )
        try:
            registry_write(path=out, records=records)
        except DomainError as exc:
            raise CommandError(error_text(exc)) from None
        self.stdout.write(f"{out}: {families} families, {len(records)} persons (seed {seed})")
