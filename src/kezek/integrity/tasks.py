"""Background work of kezek.integrity (run by ``kezek worker``; several workers may run at once)."""

from __future__ import annotations

from kezek.core.worker import periodic_task, worker_id
from kezek.integrity.services.scan import integrity_scan_nightly

# The process's name on the leases it takes; only timing lives here, the state is the ScanRun row.
OWNER = worker_id()


@periodic_task(name="integrity.nightly_scan", every_seconds=900)
def nightly_scan() -> int:
    """The nightly phantom scan with suspensions and releases, once per day however many workers run."""
    return int(integrity_scan_nightly(owner=OWNER) is not None)
