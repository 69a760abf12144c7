"""Background work of attendance (run by ``kezek worker``; several workers may run at once).

Every task is idempotent: sessions and sheets are unique per group and start, or per child, group and month, and
silence is applied to a sheet under its row lock only while it is still open.
"""

from __future__ import annotations

from kezek.attendance.services.marks import sessions_create_from_schedules
from kezek.attendance.services.sheets import sheets_apply_silence, sheets_create_for_month
from kezek.core.worker import periodic_task


@periodic_task(name="attendance.sessions_from_schedules", every_seconds=900)
def sessions_from_schedules() -> int:
    """Today's sessions are made from the sections' schedules and the kindergartens' working days."""
    return sessions_create_from_schedules()


@periodic_task(name="attendance.monthly_sheets", every_seconds=3600)
def monthly_sheets() -> int:
    """Last month's sheets are made for the parents to confirm."""
    return sheets_create_for_month()


@periodic_task(name="attendance.apply_silence", every_seconds=600)
def apply_silence() -> int:
    """Sheets nobody answered by the deadline become confirmed or unconfirmed as the region says."""
    return sheets_apply_silence()
