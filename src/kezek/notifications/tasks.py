"""Background delivery of the outbox (run by ``kezek worker``; several workers may run at once)."""

from __future__ import annotations

import functools
import os

from kezek.core.worker import periodic_task, worker_id
from kezek.notifications.services import outbox_deliver_batch


@functools.cache
def _owner(pid: int) -> str:
    # Keyed by pid so a forked child never shares its parent's lease name.
    return worker_id()


@periodic_task(name="notifications.deliver_outbox", every_seconds=1)
def deliver_outbox() -> int:
    return outbox_deliver_batch(owner=_owner(os.getpid()))
