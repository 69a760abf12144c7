"""Concurrent appends from many connections still make one gapless, valid chain (PostgreSQL row locks)."""

from __future__ import annotations

import pytest
from django.db import transaction

from kezek.audit.models import AuditEvent, AuditHead
from kezek.audit.selectors import audit_verify
from kezek.audit.services import audit_record
from tests.integration.audit.threads import run_at_once

THREADS, APPENDS = 8, 20


def _append_many(worker: int) -> None:
    for i in range(APPENDS):
        with transaction.atomic():
            audit_record(actor=None, action="test.concurrent", object_type="worker", object_id=worker,
                         after={"i": i, "worker": worker})


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("head_exists", [True, False], ids=["head-row", "no-head-row-yet"])
def test_concurrent_appends_make_a_gapless_valid_chain(head_exists):
    # Without the head row every thread races to create it first; the loser must still link correctly.
    AuditHead.objects.all().delete()
    if head_exists:
        AuditHead.objects.create(id=1, seq=0, hash="0" * 64)
    _, errors = run_at_once(_append_many, THREADS)
    assert errors == []
    total = THREADS * APPENDS
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, total + 1))
    per_worker = {w: AuditEvent.objects.filter(object_id=str(w)).count() for w in range(THREADS)}
    assert per_worker == dict.fromkeys(range(THREADS), APPENDS)
    times = list(AuditEvent.objects.order_by("seq").values_list("occurred_at", flat=True))
    assert times == sorted(times)
    report = audit_verify()
    assert report.ok, report.first_break
    assert report.events == total
