"""Which queue rules apply where."""

from __future__ import annotations

from kezek.applications.models import RegionQueueRules
from kezek.domain.queue import QueueRules


def queue_rules_for(*, region_id: int) -> QueueRules:
    """The region's queue numbers, or the defaults when the region has set none."""
    row = RegionQueueRules.objects.filter(region_id=region_id).first()
    return row.as_rules() if row else QueueRules()
