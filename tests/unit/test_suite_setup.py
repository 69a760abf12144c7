"""The test set-up itself: in CI an unreachable PostgreSQL must fail the run, never skip it silently."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_pytest_against(url: str, ci: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "CI": ci}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "tests/unit/domain/test_iin.py::test_is_valid_iin"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_ci_fails_when_postgres_is_unreachable():
    result = run_pytest_against("postgres://postgres@127.0.0.1:1/kezek", ci="true")
    assert result.returncode != 0
    assert "PostgreSQL is required in CI" in result.stdout + result.stderr


def test_outside_ci_an_unreachable_postgres_is_reported_loudly():
    result = run_pytest_against("postgres://postgres@127.0.0.1:1/kezek", ci="false")
    assert "PostgreSQL suite NOT run" in result.stdout + result.stderr
