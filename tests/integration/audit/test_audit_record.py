"""audit_record: one event per change, linked into the chain, stored exactly as it was hashed."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from decimal import Decimal

import pytest
from django.db import transaction

from kezek.audit.models import AuditEvent, AuditHead
from kezek.audit.selectors import audit_verify
from kezek.audit.services import audit_event_fields, audit_record
from kezek.domain.audit_chain import GENESIS_HASH, event_hash
from kezek.geo.models import Region
from tests.factories.audit import audit_events_record

pytestmark = pytest.mark.django_db


def test_events_link_into_a_chain_and_move_the_head():
    first, second = audit_events_record(2)
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH and second.prev_hash == first.hash
    head = AuditHead.objects.get(id=1)
    assert (head.seq, head.hash) == (2, second.hash)


def test_records_actor_action_object_and_request():
    region = Region.objects.create(code="test-audit-r", kind="region", name_kk="a", name_ru="b", name_en="c")
    with transaction.atomic():
        event = audit_record(actor=None, action="geo.region.created", obj=region, after={"code": region.code},
                             request_id="req-12345678")
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.object_type, stored.object_id, stored.action) == ("geo.region", str(region.pk), "geo.region.created")
    assert (stored.actor_id, stored.actor_label, stored.request_id) == (None, "system", "req-12345678")
    assert stored.before is None and stored.after == {"code": "test-audit-r"}


def test_actor_is_recorded_by_id_and_label():
    from kezek.accounts.models import User

    user = User.objects.create_user("test-admin-audit", password="x" * 12, role="admin", display_name="Aigerim")
    with transaction.atomic():
        event = audit_record(actor=user, action="test.did")
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor_id, stored.actor_label) == (user.pk, "Aigerim")


def test_long_actor_label_is_cut_to_fit():
    class Integration:  # a non-user actor, e.g. a registry import job
        pk = None

        def __str__(self) -> str:
            return "job " * 100

    with transaction.atomic():
        event = audit_record(actor=Integration(), action="test.did")
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor_label == ("job " * 100)[:255]
    assert audit_verify().ok


def test_stored_event_hashes_exactly_as_written_timestamps_and_json_included():
    awkward = {
        "z": 1, "a": {"y": [3, 2, 1], "b": None}, "when": dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC),
        "money": Decimal("10.50"), "id": uuid.UUID(int=7), "big": 1e20, "whole": 1.0, "frac": 0.1,
        "tiny": 1.5e-7, "huge_int": 10**20, "text": "Қазақша «тест» \u2028", "empty": {}, "list": [],
    }
    with transaction.atomic():
        event = audit_record(actor=None, action="test.json", before=awkward, after={"k" * 50: "v"})
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.occurred_at == event.occurred_at  # microseconds survive the round trip
    assert audit_event_fields(stored)["occurred_at"] == audit_event_fields(event)["occurred_at"]
    assert event_hash(audit_event_fields(stored)) == stored.hash == event.hash
    assert audit_verify().ok


def test_timestamp_with_zero_microseconds_round_trips(monkeypatch):
    from django.utils import timezone

    fixed = dt.datetime(2026, 3, 1, 12, 0, 0, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: fixed)
    with transaction.atomic():
        event = audit_record(actor=None, action="test.time")
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.occurred_at == fixed
    assert event_hash(audit_event_fields(stored)) == stored.hash


def test_nan_is_refused_and_nothing_is_written():
    with pytest.raises(ValueError), transaction.atomic():
        audit_record(actor=None, action="test.nan", after={"x": math.nan})
    assert not AuditEvent.objects.exists()


def test_event_rolls_back_with_the_change_it_records():
    audit_events_record(1)
    with pytest.raises(RuntimeError, match="boom"), transaction.atomic():
        audit_record(actor=None, action="test.rolled_back")
        raise RuntimeError("boom")
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [1]
    assert AuditHead.objects.get(id=1).seq == 1
    assert audit_events_record(1)[0].seq == 2


@pytest.mark.django_db(transaction=True)
def test_audit_record_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit_record(actor=None, action="test.no_transaction")
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_head_is_recreated_after_a_flush():
    # TransactionTestCase flushes tables, removing the head row the migration created.
    AuditHead.objects.all().delete()
    assert audit_events_record(2)[1].seq == 2
    assert audit_verify().ok


# --- append-only ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "attempt",
    [
        lambda: AuditEvent.objects.filter(seq=1).update(action="x"),
        lambda: AuditEvent.objects.all().delete(),
        lambda: AuditEvent.objects.filter(seq=1).delete(),
        lambda: AuditEvent.objects.update_or_create(seq=1, defaults={"action": "x"}),
        lambda: AuditEvent.objects.bulk_update(list(AuditEvent.objects.all()), ["action"]),
        lambda: AuditEvent.objects.bulk_create([AuditEvent(seq=99, occurred_at=dt.datetime.now(dt.UTC), action="x")]),
        lambda: AuditEvent.objects.get(seq=1).delete(),
    ],
    ids=["qs.update", "qs.delete-all", "qs.delete", "update_or_create", "bulk_update", "bulk_create", "instance.delete"],
)
def test_events_cannot_be_changed_or_removed_through_the_orm(attempt):
    audit_events_record(2)
    with pytest.raises(PermissionError, match="append-only"):
        attempt()
    assert AuditEvent.objects.count() == 2
    assert audit_verify().ok


@pytest.mark.parametrize("field", ["action", "after", "seq"])
def test_saving_an_existing_event_is_refused(field):
    event = audit_events_record(1)[0]
    event = AuditEvent.objects.get(pk=event.pk)
    setattr(event, field, {"forged": True} if field == "after" else ("forged" if field == "action" else 5))
    with pytest.raises(PermissionError, match="append-only"):
        event.save()
    assert audit_verify().ok
