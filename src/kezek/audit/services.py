"""Writing the audit trail. Call ``audit_record`` inside the transaction of the change it records."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from kezek.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from kezek.domain.audit_chain import GENESIS_HASH, HASHED_FIELDS, event_hash


def _json_safe(value: Any) -> Any:
    # Stored exactly as hashed: dates, decimals and UUIDs become strings; NaN is refused (jsonb rejects it).
    return None if value is None else json.loads(json.dumps(value, cls=DjangoJSONEncoder, allow_nan=False))


def audit_event_fields(event: AuditEvent) -> dict[str, Any]:
    """The hashed fields of a stored event, serialised exactly as when it was hashed."""
    fields = {name: getattr(event, name) for name in HASHED_FIELDS}
    fields["occurred_at"] = event.occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    fields["hash"] = event.hash
    return fields


def _lock_head() -> AuditHead:
    # The head row normally exists (migration 0002); a flushed test database recreates it here.
    # Concurrent creators collide on the primary key and the loser re-reads the winner's row, locked.
    head, _ = AuditHead.objects.select_for_update().get_or_create(id=1, defaults={"seq": 0, "hash": GENESIS_HASH})
    return head


def audit_record(
    *,
    actor: Any | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    request_id: str = "",
) -> AuditEvent:
    """Append one event to the hash chain (rule: every state change is audited in its own transaction).

    Must run inside ``transaction.atomic()``: the head row lock serialises appends until commit.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the transaction of the change it records")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    head = _lock_head()
    event = AuditEvent(
        seq=head.seq + 1,
        # Taken after the lock so that times never go backwards along the chain.
        occurred_at=timezone.now(),
        actor_id=getattr(actor, "pk", None),
        actor_label=(str(actor) if actor is not None else "system")[:255],
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=_json_safe(before),
        after=_json_safe(after),
        request_id=request_id or "",
        prev_hash=head.hash,
    )
    event.hash = event_hash(audit_event_fields(event))
    event.save(force_insert=True)
    AuditHead.objects.filter(id=1).update(seq=event.seq, hash=event.hash)
    return event


CHECKPOINT_ACTION = "audit.checkpoint"


def audit_checkpoint_publish(*, actor: Any | None = None, min_age: dt.timedelta | None = None) -> tuple[AuditCheckpoint | None, bool]:
    """Publish a checkpoint of the chain's last event (rule: checkpoints pin history for outsiders).

    Returns the checkpoint and whether it is new. Nothing is published when no event was appended since
    the latest checkpoint (besides that checkpoint's own audit event) or, with ``min_age``, while the
    latest is younger than that. Safe to run from several workers: the head lock serialises them.
    """
    with transaction.atomic():
        head = _lock_head()
        latest = AuditCheckpoint.objects.order_by("-seq").first()
        if head.seq == 0 or (latest is not None and head.seq <= latest.seq + 1):
            return latest, False
        now = timezone.now()
        if latest is not None and min_age is not None and now - latest.created_at < min_age:
            return latest, False
        # The hash stored on the event itself, which is what anyone verifying will compare.
        pinned = AuditEvent.objects.filter(seq=head.seq).values_list("hash", flat=True).first()
        if pinned is None:
            return latest, False  # the chain is broken; `kezek audit verify` names where
        checkpoint = AuditCheckpoint(seq=head.seq, hash=pinned, created_at=now)
        checkpoint.save(force_insert=True)
        audit_record(actor=actor, action=CHECKPOINT_ACTION, obj=checkpoint, after={"seq": checkpoint.seq, "hash": checkpoint.hash})
    return checkpoint, True
