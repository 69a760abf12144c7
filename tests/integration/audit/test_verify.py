"""audit_verify and ``kezek audit verify``: tampering in raw SQL is named by seq and kind."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kezek.audit.models import AuditEvent, AuditHead
from kezek.audit.selectors import audit_events_iter, audit_verify
from kezek.audit.services import audit_event_fields
from kezek.domain.audit_chain import event_hash
from tests.factories.audit import audit_events_record, sql, sql_insert_event, sql_shift_seq

pytestmark = pytest.mark.django_db


def first_break() -> tuple[int, str]:
    report = audit_verify()
    assert not report.ok
    return report.first_break.seq, report.first_break.problem


def run_verify() -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("audit", "verify", stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue().strip()
    return 0, out.getvalue().strip()


def forged_fields(seq: int, prev_hash: str, *, valid_hash: bool = True) -> dict:
    fields = audit_event_fields(AuditEvent.objects.get(seq=1))
    fields.update(seq=seq, prev_hash=prev_hash, object_id="forged", after={"forged": True})
    fields["hash"] = event_hash(fields) if valid_hash else "f" * 64
    fields["occurred_at"] = AuditEvent.objects.get(seq=1).occurred_at
    return fields


def test_empty_chain_verifies():
    report = audit_verify()
    assert report.ok and report.events == 0
    assert run_verify() == (0, f"OK: 0 events, head {'0' * 64}")


def test_intact_chain_verifies_and_the_command_says_ok():
    events = audit_events_record(7)
    report = audit_verify(batch=3)  # across several keyset pages
    assert report.ok and report.events == 7 and report.head_hash == events[-1].hash
    assert run_verify() == (0, f"OK: 7 events, head {events[-1].hash}")


def test_row_edited_in_sql_is_named():
    audit_events_record(5)
    sql("UPDATE audit_auditevent SET after = %s WHERE seq = 3", [json.dumps({"n": 999})])
    assert AuditEvent.objects.get(seq=3).after == {"n": 999}
    assert first_break() == (3, "edited")
    code, out = run_verify()
    assert code == 1 and out.startswith("BROKEN: event seq 3 was edited (")


def test_row_edited_with_recomputed_hash_is_named():
    audit_events_record(5)
    fields = audit_event_fields(AuditEvent.objects.get(seq=3))
    fields["action"] = "forged.action"
    sql("UPDATE audit_auditevent SET action = %s, hash = %s WHERE seq = 3", ["forged.action", event_hash(fields)])
    assert first_break() == (3, "edited")


def test_json_key_order_changed_in_sql_is_not_tampering():
    audit_events_record(3)
    sql("UPDATE audit_auditevent SET after = %s WHERE seq = 2", [json.dumps({"note": "ok", "n": 2})])
    assert audit_verify().ok


def test_row_deleted_in_sql_is_named():
    audit_events_record(5)
    sql("DELETE FROM audit_auditevent WHERE seq = 2")
    assert first_break() == (2, "deleted")
    code, out = run_verify()
    assert code == 1 and out.startswith("BROKEN: event seq 2 was deleted (")


def test_row_deleted_and_the_rest_renumbered_is_named():
    audit_events_record(6)
    sql("DELETE FROM audit_auditevent WHERE seq = 3")
    sql_shift_seq(from_seq=4, by=-1)
    sql("UPDATE audit_audithead SET seq = 5")
    assert first_break() == (3, "deleted")


def test_last_row_deleted_is_caught_by_the_head():
    audit_events_record(4)
    sql("DELETE FROM audit_auditevent WHERE seq = 4")
    assert first_break() == (4, "deleted")
    code, out = run_verify()
    assert code == 1 and "event seq 4 was deleted" in out


def test_every_row_deleted_is_caught_by_the_head():
    audit_events_record(2)
    sql("DELETE FROM audit_auditevent")
    assert first_break() == (1, "deleted")


def test_row_inserted_in_sql_with_renumbering_is_named():
    events = audit_events_record(5)
    sql_shift_seq(from_seq=3, by=1)
    sql_insert_event(forged_fields(3, events[1].hash))
    sql("UPDATE audit_audithead SET seq = 6")
    assert first_break() == (3, "inserted")
    code, out = run_verify()
    assert code == 1 and out.startswith("BROKEN: event seq 3 was inserted (")


def test_garbage_row_inserted_in_sql_with_renumbering_is_named():
    audit_events_record(5)
    sql_shift_seq(from_seq=3, by=1)
    sql_insert_event(forged_fields(3, "a" * 64, valid_hash=False))
    assert first_break() == (3, "inserted")


def test_row_appended_in_sql_beyond_the_head_is_named():
    events = audit_events_record(4)
    sql_insert_event(forged_fields(5, events[-1].hash))  # links correctly, but the head never saw it
    assert first_break() == (5, "inserted")
    sql("DELETE FROM audit_auditevent WHERE seq = 5")
    sql_insert_event(forged_fields(5, "b" * 64, valid_hash=False))  # forged link
    assert first_break() == (5, "inserted")


def test_missing_head_record_is_reported():
    audit_events_record(2)
    AuditHead.objects.all().delete()
    assert first_break() == (2, "head_missing")
    code, out = run_verify()
    assert code == 1 and out.startswith("BROKEN: the chain head record is missing")


def test_events_stream_in_seq_order_by_keyset_pages():
    audit_events_record(7)
    with CaptureQueriesContext(connection) as queries:
        seqs = [e.seq for e in audit_events_iter(batch=3)]
    assert seqs == [1, 2, 3, 4, 5, 6, 7]
    assert len(queries) == 3  # 3 + 3 + 1 rows, never all at once
    assert all("OFFSET" not in q["sql"].upper() for q in queries)
    assert [e.seq for e in audit_events_iter(batch=7)] == seqs  # an exactly full last page ends cleanly
    assert [e.seq for e in audit_events_iter(batch=100, until_seq=4)] == [1, 2, 3, 4]
