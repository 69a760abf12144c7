"""Audit checkpoints: published hourly by the worker and on demand by ``kezek audit checkpoint``, once per seq."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from kezek.audit.models import AppendOnlyError, AuditCheckpoint, AuditEvent
from kezek.audit.selectors import audit_verify
from kezek.audit.services import CHECKPOINT_ACTION, audit_checkpoint_publish
from kezek.audit.tasks import CHECKPOINT_MIN_AGE
from kezek.core import worker
from tests.factories.audit import audit_events_record, sql
from tests.integration.audit.threads import run_at_once

pytestmark = pytest.mark.django_db

TASK = "audit.publish_checkpoint"


def run_checkpoint_task() -> int:
    return worker.run_task(worker.TASKS[TASK])


def age_checkpoints(by: dt.timedelta) -> None:
    """Move every checkpoint back in time (raw SQL: checkpoints are append-only in the ORM)."""
    for pk, created_at in AuditCheckpoint.objects.values_list("pk", "created_at"):
        sql("UPDATE audit_auditcheckpoint SET created_at = %s WHERE id = %s",
            [connection.ops.adapt_datetimefield_value(created_at - by), pk])


def checkpoint_command() -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("audit", "checkpoint", stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


def test_the_task_is_registered_hourly():
    assert worker.TASKS[TASK].every_seconds == 3600


def test_nothing_is_published_for_an_empty_trail():
    assert run_checkpoint_task() == 0
    assert not AuditCheckpoint.objects.exists()
    assert checkpoint_command() == ("", "No audit events yet: nothing to checkpoint.")


def test_the_task_pins_the_last_event_and_records_the_checkpoint_in_the_trail():
    events = audit_events_record(3)
    assert run_checkpoint_task() == 1
    checkpoint = AuditCheckpoint.objects.get()
    assert (checkpoint.seq, checkpoint.hash) == (3, events[-1].hash)
    recorded = AuditEvent.objects.get(seq=4)
    assert recorded.action == CHECKPOINT_ACTION
    assert recorded.after == {"seq": 3, "hash": events[-1].hash}
    assert audit_verify().ok


def test_the_task_is_idempotent_and_waits_an_hour_between_checkpoints():
    audit_events_record(2)
    assert run_checkpoint_task() == 1
    assert run_checkpoint_task() == 0  # nothing new but the checkpoint's own event
    audit_events_record(2)
    assert run_checkpoint_task() == 0  # new events, but the last checkpoint is recent
    assert AuditCheckpoint.objects.count() == 1
    age_checkpoints(CHECKPOINT_MIN_AGE)
    assert run_checkpoint_task() == 1
    assert list(AuditCheckpoint.objects.order_by("seq").values_list("seq", flat=True)) == [2, 5]


def test_an_hour_without_new_events_publishes_nothing():
    audit_events_record(1)
    run_checkpoint_task()
    age_checkpoints(dt.timedelta(hours=5))
    assert run_checkpoint_task() == 0
    assert AuditCheckpoint.objects.count() == 1


def test_the_command_publishes_now_and_prints_the_checkpoint_once_per_seq():
    events = audit_events_record(2)
    out, err = checkpoint_command()
    checkpoint = AuditCheckpoint.objects.get()
    assert json.loads(out) == {
        "seq": 2, "hash": events[-1].hash, "created_at": checkpoint.created_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    assert err == ""
    again, note = checkpoint_command()
    assert again == out and note == "No new events since the latest checkpoint; it is printed again."
    assert AuditCheckpoint.objects.count() == 1
    audit_events_record(1)
    newer, _ = checkpoint_command()  # the command does not wait for the hour
    assert json.loads(newer)["seq"] == 4
    assert AuditCheckpoint.objects.count() == 2


def test_no_checkpoint_when_the_head_points_at_a_missing_event():
    audit_events_record(3)
    sql("DELETE FROM audit_auditevent WHERE seq = 3")
    assert audit_checkpoint_publish() == (None, False)
    assert not AuditCheckpoint.objects.exists()


def test_checkpoints_are_append_only_and_unique_per_seq_in_the_database():
    audit_events_record(1)
    checkpoint, _ = audit_checkpoint_publish()
    with pytest.raises(AppendOnlyError):
        AuditCheckpoint.objects.filter(pk=checkpoint.pk).update(hash="f" * 64)
    with pytest.raises(AppendOnlyError):
        checkpoint.save()
    with pytest.raises(AppendOnlyError):
        checkpoint.delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditCheckpoint(seq=checkpoint.seq, hash="e" * 64, created_at=timezone.now()).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditCheckpoint(seq=0, hash="e" * 64, created_at=timezone.now()).save()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_several_workers_at_once_publish_one_checkpoint():
    audit_events_record(5)
    created, errors = run_at_once(lambda _: audit_checkpoint_publish(min_age=CHECKPOINT_MIN_AGE)[1], 6)
    assert errors == []
    assert sorted(created) == [False] * 5 + [True]
    assert list(AuditCheckpoint.objects.values_list("seq", flat=True)) == [5]
    assert audit_verify().ok
