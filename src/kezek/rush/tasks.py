"""Background tasks of the rush (run by ``kezek worker``; several workers may run at once)."""

from __future__ import annotations

from kezek.core.worker import periodic_task
from kezek.rush.services import claims_in_flight_prune


@periodic_task(name="rush.prune_claims_in_flight", every_seconds=300)
def prune_claims_in_flight() -> int:
    """Rows of claims whose process died mid-claim are already ignored after a minute; this deletes them."""
    return claims_in_flight_prune()
