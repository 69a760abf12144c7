"""Daily snapshots of the queue's length, so the public chart of "queue length over time" is exact, not rebuilt."""

from __future__ import annotations

from django.db import models


class QueueSnapshot(models.Model):
    """Children waiting in one district on one day (active applications), taken once a day by the worker."""

    day = models.DateField()
    district = models.ForeignKey("geo.District", on_delete=models.PROTECT, related_name="+")
    waiting = models.PositiveIntegerField()

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["day", "district"], name="queue_snapshot_day_district_uniq")]
