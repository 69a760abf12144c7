"""Background work of kezek.privacy (run by ``kezek worker``; several workers may run at once)."""

from __future__ import annotations

from kezek.core.worker import periodic_task
from kezek.privacy.services import retention_purge


@periodic_task(name="privacy.retention_purge", every_seconds=3600)
def purge_past_retention() -> int:
    """Purge or anonymise, in batches, what is past its retention period (each batch is its own transaction)."""
    return retention_purge()
