"""Background tasks of the public dashboard (run by ``kezek worker``)."""

from __future__ import annotations

from kezek.core.worker import periodic_task
from kezek.transparency.services import queue_snapshot_take


@periodic_task(name="transparency.queue_snapshot", every_seconds=3600)
def queue_snapshot() -> int:
    """Once a day per district: the hourly run only adds the day's rows the first time."""
    return queue_snapshot_take()
