"""scripts/pitr-drill.sh: WAL archiving, a streaming standby, promotion and recovery to a point in time.

The drill starts its own throwaway PostgreSQL clusters in a temporary directory (Unix sockets only), so it
never touches the test database; it needs the server programs (initdb) and root or the postgres OS user.
"""

from __future__ import annotations

import glob
import os
import pwd
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.postgres_only


def can_run_clusters() -> bool:
    has_initdb = any(Path(d, "initdb").exists() for d in glob.glob("/usr/lib/postgresql/*/bin"))
    try:
        runs_as_postgres = os.geteuid() == 0 or pwd.getpwuid(os.geteuid()).pw_name == "postgres"
    except KeyError:
        runs_as_postgres = False
    return has_initdb and runs_as_postgres


@pytest.mark.skipif(not can_run_clusters(), reason="needs PostgreSQL's server programs and root or the postgres user")
def test_pitr_drill_recovers_to_the_moment_before_a_mistake():
    result = subprocess.run([str(Path(settings.BASE_DIR) / "scripts" / "pitr-drill.sh")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAILED" not in result.stdout
    for line in ("ok: the standby replays the primary's writes, the mistake too (50 + 7 rows) (57)",
                 "ok: the promoted standby takes writes (1)",
                 "ok: rows committed after the base backup, before the target, are there (from the archived WAL) (50)",
                 "ok: nothing from after the target (0)"):
        assert line in result.stdout
    assert result.stdout.rstrip().endswith("PITR DRILL OK")
