"""Writing the public figures that cannot be recomputed later: the daily queue snapshot."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from kezek.applications.models import Application
from kezek.transparency.models import QueueSnapshot


def queue_snapshot_take(*, day: dt.date | None = None) -> int:
    """Record today's queue length per district (rule: a day's snapshot is taken once; later runs change nothing)."""
    day = day or timezone.localdate()
    counts = dict(
        Application.objects.filter(status=Application.Status.ACTIVE)
        .values_list("district_id")
        .annotate(n=Count("id"))
        .values_list("district_id", "n")
    )
    with transaction.atomic():
        taken = set(QueueSnapshot.objects.filter(day=day).values_list("district_id", flat=True))
        rows = [QueueSnapshot(day=day, district_id=d, waiting=n) for d, n in counts.items() if d not in taken]
        # A second worker racing this one hits the unique constraint; ignoring it keeps the first count.
        QueueSnapshot.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
