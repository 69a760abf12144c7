"""Running ``kezek`` in a subprocess against the database the current test uses."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection


def subprocess_database_url() -> str:
    """The URL of the test database this test runs on (SQLite must be a file: KEZEK_TEST_DB_NAME)."""
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        name = str(db["NAME"])
        if "memory" in name or name == "":
            pytest.skip("a subprocess needs a file test database: set KEZEK_TEST_DB_NAME to a path")
        return f"sqlite:///{Path(name).resolve()}"
    auth = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"




def kezek_command() -> list[str]:
    """The ``kezek`` console script of this virtual environment."""
    script = Path(sys.executable).with_name("kezek")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kezek.cli"]
