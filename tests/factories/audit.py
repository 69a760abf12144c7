"""Audit trail test helpers: append real events through audit_record and tamper with them in raw SQL."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection, transaction

from kezek.audit.models import AuditEvent
from kezek.audit.services import audit_record

COLUMNS = (
    "seq", "occurred_at", "actor_id", "actor_label", "action", "object_type", "object_id", "before", "after",
    "request_id", "prev_hash", "hash",
)


def audit_events_record(n: int, *, action: str = "test.thing.changed") -> list[AuditEvent]:
    """Append ``n`` events, each in its own transaction, as services do."""
    events = []
    for i in range(n):
        with transaction.atomic():
            events.append(
                audit_record(actor=None, action=action, object_type="test.thing", object_id=i + 1,
                             before={"n": i}, after={"n": i + 1, "note": "ok"})
            )
    return events


def sql(statement: str, params: list[Any] | None = None) -> None:
    """Run raw SQL on the audit table, as someone with database access (not the app) would."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def sql_insert_event(fields: dict[str, Any]) -> None:
    """INSERT one audit row in raw SQL from hashed fields (occurred_at as an aware datetime)."""
    values = dict(fields)
    values["occurred_at"] = connection.ops.adapt_datetimefield_value(values["occurred_at"])
    for name in ("before", "after"):
        values[name] = None if values[name] is None else json.dumps(values[name])
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    sql(f"INSERT INTO audit_auditevent ({', '.join(COLUMNS)}) VALUES ({placeholders})", [values[c] for c in COLUMNS])


def sql_shift_seq(*, from_seq: int, by: int) -> None:
    """Renumber events from ``from_seq`` on by ``by`` in two steps (seq is unique, checked row by row)."""
    sql("UPDATE audit_auditevent SET seq = seq + 1000000 WHERE seq >= %s", [from_seq])
    sql("UPDATE audit_auditevent SET seq = seq - 1000000 + %s WHERE seq >= 1000000", [by])


def sql_rewrite_chain_from(seq: int, **changes: Any) -> None:
    """Edit event ``seq`` and re-hash every event after it, head included: a forger's full rewrite."""
    from kezek.audit.models import AuditHead
    from kezek.audit.services import audit_event_fields
    from kezek.domain.audit_chain import event_hash

    prev = AuditEvent.objects.get(seq=seq - 1).hash if seq > 1 else "0" * 64
    for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
        fields = audit_event_fields(event)
        fields.update(prev_hash=prev, **(changes if event.seq == seq else {}))
        new_hash = event_hash(fields)
        assignments = ", ".join(f"{name} = %s" for name in changes) if event.seq == seq else ""
        values = [json.dumps(v) if name in ("before", "after") else v for name, v in changes.items()] if assignments else []
        sql(f"UPDATE audit_auditevent SET {assignments + ', ' if assignments else ''}prev_hash = %s, hash = %s WHERE seq = %s",
            [*values, prev, new_hash, event.seq])
        prev = new_hash
    sql("UPDATE audit_audithead SET hash = %s WHERE id = %s", [prev, AuditHead.objects.get().id])
