"""Reading the audit trail: streaming events in chain order, verifying the chain, published checkpoints."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from django.db.models import Max, QuerySet

from kezek.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from kezek.audit.services import audit_event_fields
from kezek.domain.audit_chain import (
    INSERTED,
    ChainBreak,
    ChainHead,
    ChainReport,
    Checkpoint,
    CheckpointReport,
    verify_chain,
    verify_checkpoints,
)

R = TypeVar("R")


def audit_events_iter(*, batch: int = 5000, until_seq: int | None = None) -> Iterator[AuditEvent]:
    """Every event in ``seq`` order, fetched ``batch`` at a time by keyset (constant memory on any size)."""
    last = 0
    while True:
        page = AuditEvent.objects.filter(seq__gt=last).order_by("seq")
        if until_seq is not None:
            page = page.filter(seq__lte=until_seq)
        rows = list(page[:batch])
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1].seq


def audit_head() -> ChainHead | None:
    """What the head record says about the end of the chain (None if the record is missing)."""
    row = AuditHead.objects.filter(id=1).values_list("seq", "hash").first()
    return ChainHead(seq=row[0], hash=row[1]) if row else None


def _chain_walk(verify: Callable[[Iterator[dict[str, Any]], ChainHead | None], R], *, batch: int) -> tuple[R, ChainHead | None]:
    head = audit_head()
    # Events appended while the walk runs are left for the next run: only the chain up to the head read
    # at the start is walked, so a concurrent append never looks like tampering.
    events = (audit_event_fields(e) for e in audit_events_iter(batch=batch, until_seq=head.seq if head else None))
    return verify(events, head), head


def _beyond_head(report: ChainReport, head: ChainHead | None) -> ChainReport:
    if not report.ok or head is None:
        return report
    # Read the highest seq before the head: a committed append moves both, so only a row written
    # outside audit_record can be beyond the head read afterwards.
    highest = AuditEvent.objects.aggregate(m=Max("seq"))["m"] or 0
    late_head = audit_head()
    late_seq = late_head.seq if late_head else head.seq
    if highest > late_seq:
        return ChainReport(report.events, report.head_hash, ChainBreak(late_seq + 1, INSERTED, f"beyond the head at seq {late_seq}"))
    return report


def audit_verify(*, batch: int = 5000) -> ChainReport:
    """Walk the whole chain and name the first edited, inserted or deleted event (the audit trail rule)."""
    report, head = _chain_walk(lambda events, head: verify_chain(events, head=head, check_head=True), batch=batch)
    return _beyond_head(report, head)


def audit_verify_checkpoints(*, checkpoints: Iterable[Checkpoint], batch: int = 5000) -> CheckpointReport:
    """Verify the chain and that it still extends every given published checkpoint (the checkpoint rule)."""
    report, head = _chain_walk(
        lambda events, head: verify_checkpoints(events, checkpoints, head=head, check_head=True), batch=batch
    )
    return dataclasses.replace(report, chain=_beyond_head(report.chain, head))


def checkpoint_record(checkpoint: AuditCheckpoint) -> dict[str, Any]:
    """A checkpoint as published in every download: seq, hash and the UTC time it was taken."""
    created_at = checkpoint.created_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"seq": checkpoint.seq, "hash": checkpoint.hash, "created_at": created_at}


def audit_checkpoints(*, after_seq: int = 0) -> QuerySet[AuditCheckpoint]:
    """Published checkpoints, oldest first (the order of the downloads)."""
    return AuditCheckpoint.objects.filter(seq__gt=after_seq).order_by("seq")


def audit_checkpoint_records(*, after_seq: int = 0) -> Iterator[dict[str, Any]]:
    """Every published checkpoint as a record, oldest first, read in chunks rather than all at once."""
    for checkpoint in audit_checkpoints(after_seq=after_seq).iterator(chunk_size=2000):
        yield checkpoint_record(checkpoint)


def audit_public_events(*, actions: Iterable[str], before_seq: int | None = None, limit: int = 50) -> list[AuditEvent]:
    """The newest events with one of the public ``actions``, before ``before_seq`` (keyset paging)."""
    events = AuditEvent.objects.filter(action__in=list(actions)).order_by("-seq")
    if before_seq is not None:
        events = events.filter(seq__lt=before_seq)
    return list(events[:limit])
