"""Test set-up shared by every suite.

The database is chosen by DATABASE_URL before Django starts (``scripts/test.sh`` runs the database
suites once on SQLite and once on PostgreSQL). With CI=true an unreachable PostgreSQL fails the run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection


def pytest_sessionstart(session: pytest.Session) -> None:
    if not settings.IS_POSTGRES:
        return
    import psycopg

    db = settings.DATABASES["default"]
    try:
        psycopg.connect(
            host=db.get("HOST") or "127.0.0.1", port=db.get("PORT") or 5432, user=db.get("USER"),
            password=db.get("PASSWORD") or None, dbname="postgres", connect_timeout=5,
        ).close()
    except psycopg.OperationalError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.exit(f"PostgreSQL is required in CI but unreachable: {exc}", returncode=1)
        pytest.exit(f"PostgreSQL unreachable, PostgreSQL suite NOT run: {exc}", returncode=0)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if settings.IS_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (runs in the PostgreSQL pass)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # Production hashing is deliberately slow; tests check sign-in rules, not the hash's cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def db_vendor() -> str:
    return connection.vendor


@pytest.fixture
def sms_file(settings, tmp_path: Path) -> Path:
    """Route SMS to a JSON-lines file the test can read (the file backend)."""
    path = tmp_path / "sms.jsonl"
    settings.KEZEK_SMS_BACKEND = "file"
    settings.KEZEK_SMS_FILE_PATH = str(path)
    return path


def read_sms(path: Path) -> list[dict]:
    """Every SMS the file backend wrote, oldest first."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
