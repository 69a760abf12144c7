"""``kezek audit verify --checkpoints FILE``: the chain must still extend every published checkpoint.

The files are the real downloads, so the test also proves a kept copy of the public list is enough.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import transaction

from kezek.audit.models import AuditEvent
from kezek.audit.selectors import audit_verify, audit_verify_checkpoints
from kezek.audit.services import audit_checkpoint_publish, audit_record
from kezek.domain.audit_chain import Checkpoint
from tests.factories.audit import audit_events_record, sql, sql_rewrite_chain_from
from tests.subprocesses import kezek_command, subprocess_database_url

pytestmark = pytest.mark.django_db


def download(client, tmp_path: Path, fmt: str = "json") -> Path:
    """Save the public checkpoint list as an outsider would."""
    response = client.get(f"/transparency/checkpoints.{fmt}")
    assert response.status_code == 200
    path = tmp_path / f"kept.{fmt}"
    path.write_bytes(b"".join(response.streaming_content))
    return path


def verify_with(path: Path, *, batch: int = 5000) -> tuple[int, list[str]]:
    out = io.StringIO()
    try:
        call_command("audit", "verify", "--checkpoints", str(path), "--batch", str(batch), stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue().splitlines()
    return 0, out.getvalue().splitlines()


def publish_two_checkpoints() -> list[AuditEvent]:
    """Events 1-3, a checkpoint at 3 (event 4), events 5-6, a checkpoint at 6 (event 7), events 8-9."""
    events = audit_events_record(3)
    audit_checkpoint_publish()
    events += audit_events_record(2)
    audit_checkpoint_publish()
    audit_events_record(2)
    return list(AuditEvent.objects.order_by("seq"))


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_intact_chain_extends_every_downloaded_checkpoint(client, tmp_path, fmt):
    events = publish_two_checkpoints()
    kept = download(client, tmp_path, fmt)
    assert verify_with(kept, batch=2) == (0, [f"OK: 9 events, head {events[-1].hash}", "OK: all 2 checkpoints are on the chain"])


def test_row_edited_after_a_checkpoint_is_reported(client, tmp_path):
    events = publish_two_checkpoints()
    kept = download(client, tmp_path)
    sql("UPDATE audit_auditevent SET after = %s WHERE seq = 2", [json.dumps({"n": 999})])
    code, lines = verify_with(kept)
    assert code == 1
    assert lines[0].startswith("BROKEN: event seq 2 was edited (")
    assert lines[1:] == [
        f"CHECKPOINT FAILED: seq 3: expected {events[2].hash}, found {events[2].hash} "
        "(same hash, but the chain breaks before it at seq 2)",
        f"CHECKPOINT FAILED: seq 6: expected {events[5].hash}, found {events[5].hash} "
        "(same hash, but the chain breaks before it at seq 2)",
        "CHECKPOINTS FAILED: 2 of 2 checkpoints are not on the chain",
    ]


def test_a_rewrite_rehashed_to_the_head_passes_plain_verify_but_not_the_checkpoints(client, tmp_path):
    events = publish_two_checkpoints()
    kept = download(client, tmp_path)
    sql_rewrite_chain_from(5, after={"n": 999, "note": "rewritten"})
    assert audit_verify().ok  # the forger re-hashed everything: the chain alone looks intact
    rewritten = {e.seq: e.hash for e in AuditEvent.objects.all()}
    code, lines = verify_with(kept)
    assert code == 1
    assert lines == [
        f"OK: 9 events, head {rewritten[9]}",
        f"CHECKPOINT FAILED: seq 6: expected {events[5].hash}, found {rewritten[6]} (history was rewritten)",
        "CHECKPOINTS FAILED: 1 of 2 checkpoints are not on the chain",
    ]


def test_history_cut_below_a_checkpoint_is_reported_missing(client, tmp_path):
    publish_two_checkpoints()
    kept = download(client, tmp_path)
    # Drop the last four events and point the head at event 5, as a careful forger would.
    sql("DELETE FROM audit_auditevent WHERE seq > 5")
    sql("UPDATE audit_audithead SET seq = 5, hash = %s", [AuditEvent.objects.get(seq=5).hash])
    assert audit_verify().ok
    code, lines = verify_with(kept)
    assert code == 1
    assert lines[1].startswith("CHECKPOINT FAILED: seq 6: expected ") and lines[1].endswith(", found missing (no event at this seq)")


def test_checkpoints_in_a_kept_file_are_checked_against_the_chain_not_the_database_table(client, tmp_path):
    # A forger who also rewrites the checkpoint table cannot change the copies outsiders kept.
    events = publish_two_checkpoints()
    kept = download(client, tmp_path)
    sql_rewrite_chain_from(2, action="forged")
    sql("DELETE FROM audit_auditcheckpoint")
    result = audit_verify_checkpoints(checkpoints=[Checkpoint(3, events[2].hash)])
    assert result.chain.ok and [f.checkpoint.seq for f in result.failures] == [3]
    assert verify_with(kept)[0] == 1


def test_events_appended_during_verification_are_not_tampering(client, tmp_path):
    publish_two_checkpoints()
    kept = download(client, tmp_path)
    with transaction.atomic():
        audit_record(actor=None, action="test.later", object_type="t", object_id=1)
    assert verify_with(kept)[0] == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        ("not json, not csv", "the CSV header must name the columns seq and hash"),
        ('[{"seq": 3}]', "item 1 has no hash (64 hexadecimal characters)"),
        ('{"seq": 3}', "the JSON is not a list of checkpoints"),
    ],
)
def test_a_bad_checkpoint_file_is_a_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(CommandError) as caught:
        call_command("audit", "verify", "--checkpoints", str(path))
    assert str(caught.value) == f"{path}: The checkpoint file could not be read: {message}"


def test_an_unreadable_checkpoint_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match=r"^cannot read the checkpoint file .*missing\.json: "):
        call_command("audit", "verify", "--checkpoints", str(tmp_path / "missing.json"))
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CommandError, match=r"^cannot read the checkpoint file "):
        call_command("audit", "verify", "--checkpoints", str(binary))


def kezek_verify_checkpoints(path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": subprocess_database_url(), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("KEZEK_TEST_DB_NAME", None)
    return subprocess.run([*kezek_command(), "audit", "verify", "--checkpoints", str(path)], env=env,
                          cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120)


@pytest.mark.django_db(transaction=True)
def test_kezek_process_exits_non_zero_when_an_audit_row_was_edited_after_a_checkpoint(client, tmp_path):
    publish_two_checkpoints()
    kept = download(client, tmp_path)
    ok = kezek_verify_checkpoints(kept)
    assert ok.returncode == 0, ok.stderr
    sql("UPDATE audit_auditevent SET action = 'forged' WHERE seq = 1")
    broken = kezek_verify_checkpoints(kept)
    assert broken.returncode == 1, broken.stderr
    assert "CHECKPOINT FAILED: seq 3: expected" in broken.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("seq,hash\n1,nothex\n")
    refused = kezek_verify_checkpoints(bad)
    assert refused.returncode == 1 and "line 2 has no hash" in refused.stderr and refused.stdout == ""
