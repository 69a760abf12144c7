"""Reading the audit trail: streaming events in chain order and verifying the chain."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Max

from kezek.audit.models import AuditEvent, AuditHead
from kezek.audit.services import audit_event_fields
from kezek.domain.audit_chain import INSERTED, ChainBreak, ChainHead, ChainReport, verify_chain


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


def audit_verify(*, batch: int = 5000) -> ChainReport:
    """Walk the whole chain and name the first edited, inserted or deleted event (the audit trail rule)."""
    head = audit_head()
    # Events appended while the walk runs are left for the next run: only the chain up to the head read
    # at the start is walked, so a concurrent append never looks like tampering.
    events = (audit_event_fields(e) for e in audit_events_iter(batch=batch, until_seq=head.seq if head else None))
    report = verify_chain(events, head=head, check_head=True)
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
