"""The real ``kezek audit verify`` process: exit code 0 and OK, or exit code 1 and the broken event.

The test commits its events (``transaction=True``) so the subprocess sees them. On SQLite it needs a
file test database (``KEZEK_TEST_DB_NAME=/path/test.sqlite3``, as scripts/test.sh sets); with the
in-memory default it is skipped.
"""

from __future__ import annotations

import os
import subprocess

import pytest
from django.conf import settings

from tests.factories.audit import audit_events_record, sql
from tests.subprocesses import kezek_command, subprocess_database_url


def kezek_audit_verify() -> subprocess.CompletedProcess:
    command = kezek_command()
    env = {**os.environ, "DATABASE_URL": subprocess_database_url(), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("KEZEK_TEST_DB_NAME", None)
    return subprocess.run([*command, "audit", "verify"], env=env, cwd=settings.BASE_DIR,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.django_db(transaction=True)
def test_kezek_audit_verify_exit_codes():
    events = audit_events_record(4)
    ok = kezek_audit_verify()
    assert (ok.returncode, ok.stdout.strip()) == (0, f"OK: 4 events, head {events[-1].hash}"), ok.stderr
    sql("UPDATE audit_auditevent SET action = 'forged' WHERE seq = 2")
    broken = kezek_audit_verify()
    assert broken.returncode == 1, broken.stderr
    assert broken.stdout.startswith("BROKEN: event seq 2 was edited (")
