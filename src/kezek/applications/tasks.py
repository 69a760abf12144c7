"""Background tasks of the kindergarten queue (run by ``kezek worker``; several workers may run at once)."""

from __future__ import annotations

from kezek.applications.services.claims import claims_expire_due
from kezek.core.worker import periodic_task


@periodic_task(name="applications.expire_extraordinary_claims", every_seconds=60)
def expire_extraordinary_claims() -> int:
    """Unconfirmed extraordinary rights fall back to the general queue after their deadline."""
    return claims_expire_due()
