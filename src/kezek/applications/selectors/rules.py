"""Which queue rules apply where."""

from __future__ import annotations

from kezek.applications.models import RegionQueueRules
from kezek.domain.queue import QueueRules
from kezek.geo.selectors import district_get


def queue_rules_for(*, region_id: int) -> QueueRules:
    """The region's queue numbers, or the defaults when the region has set none."""
    row = RegionQueueRules.objects.filter(region_id=region_id).first()
    return row.as_rules() if row else QueueRules()


def queue_rules_for_district(*, district_id: int) -> QueueRules:
    """The queue numbers of the region the district belongs to."""
    return queue_rules_for(region_id=district_get(district_id=district_id).region_id)
