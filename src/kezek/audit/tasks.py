"""Background tasks of the audit trail (run by ``kezek worker``; several workers may run at once)."""

from __future__ import annotations

import datetime as dt

from kezek.audit.services import audit_checkpoint_publish
from kezek.core.worker import periodic_task

CHECKPOINT_EVERY_SECONDS = 3600
# Each worker wakes about hourly and its schedule drifts by the time its tasks take; without the slack
# a checkpoint 59 min 59 s old would wait for the next wake-up and the gap would become two hours.
CHECKPOINT_MIN_AGE = dt.timedelta(seconds=CHECKPOINT_EVERY_SECONDS) - dt.timedelta(minutes=5)


@periodic_task(name="audit.publish_checkpoint", every_seconds=CHECKPOINT_EVERY_SECONDS)
def publish_checkpoint() -> int:
    """Publish the hourly audit checkpoint, once however many workers run (the checkpoint rule)."""
    _, created = audit_checkpoint_publish(min_age=CHECKPOINT_MIN_AGE)
    return int(created)
