"""Background tasks of payments (run by ``kezek worker``; several workers may run at once)."""

from __future__ import annotations

from kezek.core.worker import periodic_task
from kezek.payments.services import statements_draft_last_month


@periodic_task(name="payments.draft_last_month", every_seconds=3600)
def draft_last_month() -> int:
    """Last month's statements are drafted for every provider with sessions and refreshed daily until approved."""
    return statements_draft_last_month()
