"""``kezek demo`` seeds a month of attendance with planted phantoms, and the scan finds them; once only."""

from __future__ import annotations

from django.core.management import call_command

from kezek.attendance.models import Mark
from kezek.integrity.models import IntegrityFlag
from kezek.placements.models import Enrolment
from kezek.vouchers.models import Voucher

SMALL = ["--families", "400", "--kindergartens", "2", "--groups", "10", "--providers", "2", "--sections", "12"]


def test_the_demo_plants_phantoms_that_the_scan_finds(capsys):
    call_command("demo", *SMALL)
    out = capsys.readouterr().out
    assert "A month of attendance" in out
    assert Enrolment.objects.exists() and Voucher.objects.filter(status="active").exists()
    kinds = set(IntegrityFlag.objects.values_list("kind", flat=True))
    assert {"no_attendance", "off_schedule", "overlapping_presence"} <= kinds
    counts = (Mark.objects.count(), IntegrityFlag.objects.count(), Enrolment.objects.count())
    call_command("demo", *SMALL)
    assert "A month of attendance" not in capsys.readouterr().out
    assert (Mark.objects.count(), IntegrityFlag.objects.count(), Enrolment.objects.count()) == counts
