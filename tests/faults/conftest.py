"""The fault suite's own PostgreSQL cluster, databases and process environment (run by scripts/faults.sh).

Restarting the shared PostgreSQL would break everybody else's work, so the suite runs ``initdb`` and
``pg_ctl`` (as the ``postgres`` OS user when started as root) in a temporary directory on a free port,
with trust authentication on 127.0.0.1 only. The schema is migrated once into a template database; each
test gets a fresh copy. Every Kezek process of a test (gunicorn, ``kezek worker``, the seeding stages of
``tests/faults/stages.py``) runs as a subprocess on that database; this pytest process never opens a
Django connection to it, so stopping the cluster mid-test does not disturb the test itself.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

import _common as bench  # bench/_common.py: the gunicorn starter and helpers the benchmarks use

PG_BIN = Path(os.environ.get("KEZEK_FAULTS_PG_BIN", "/usr/lib/postgresql/15/bin"))
SECRET_KEY = "kezek-fault-suite-secret-key-not-for-production-0123456789"
STARTUP_SECONDS = 60
_counter = itertools.count(1)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Minutes long and root-only: only scripts/faults.sh (KEZEK_FAULTS=1) runs it, never a bare ``pytest``.
    if os.environ.get("KEZEK_FAULTS") != "1":
        reason = "the fault suite runs with scripts/faults.sh (KEZEK_FAULTS=1)"
    elif not (PG_BIN / "initdb").exists():
        reason = f"the fault suite needs PostgreSQL's server binaries in {PG_BIN} (KEZEK_FAULTS_PG_BIN)"
    else:
        return
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.skip(reason=reason))


class PgCluster:
    """A throw-away PostgreSQL cluster: ``start``, ``stop`` (fast: terminates every session, as a restart does)."""

    def __init__(self, root: Path):
        self.root = root
        self.data = root / "data"
        self.log = root / "postgres.log"
        self.port = bench.free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            # initdb refuses to run as root: the cluster belongs to the postgres OS user.
            pwd.getpwnam("postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(root, "postgres")

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([*self.as_user, *args], capture_output=True, text=True, check=False)
        if check and done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n{self.server_log()}")
        return done

    def server_log(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def init(self) -> PgCluster:
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        return self

    def start(self) -> None:
        # fsync off: the cluster lives for one run; a fast stop still writes everything out, so restarts lose nothing.
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root} "
                   "-c fsync=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB")
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def execute(self, sql: str, *, dbname: str = "postgres") -> None:
        with psycopg.connect(self.url(dbname), autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql)


def django_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of every Kezek process of a fault test: its database, one secret key, no Redis."""
    defaults = {
        "SECRET_KEY": SECRET_KEY, "KEZEK_DATA_DIR": str(data_dir), "LOG_FORMAT": "json", "ALLOWED_HOSTS": "127.0.0.1",
        "KEZEK_SMS_BACKEND": "file", "KEZEK_SMS_FILE_PATH": str(data_dir / "sms.jsonl"), "KEZEK_OUTBOX_LEASE_SECONDS": "3",
    }
    env = bench.django_env(database_url, **(defaults | extra))
    env.pop("REDIS_URL", None)
    env.pop("KEZEK_TEST_DB_NAME", None)
    return env


def stage(name: str, env: dict[str, str], **params: Any) -> dict[str, Any]:
    """Run one step of ``tests/faults/stages.py`` inside Django on the test's database; returns its JSON."""
    import json

    return bench.python_subprocess(["-m", "tests.faults.stages", name, json.dumps(params)], env=env)


@pytest.fixture(scope="session")
def cluster() -> Iterator[PgCluster]:
    root = Path(tempfile.mkdtemp(prefix="kezek-faults-pg-"))
    pg = PgCluster(root).init()
    pg.start()
    try:
        yield pg
    finally:
        pg.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def template_database(cluster: PgCluster, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database that every test copies (``CREATE DATABASE … TEMPLATE``): one migration per run."""
    name = "kezek_fault_template"
    cluster.execute(f'CREATE DATABASE "{name}"')
    env = django_env(cluster.url(name), tmp_path_factory.mktemp("template-data"))
    started = time.monotonic()
    bench.kezek("migrate", "--no-input", env=env)
    bench.kezek("createcachetable", env=env)
    print(f"\n[faults] template database migrated in {time.monotonic() - started:.1f} s")
    return name


class FaultDb:
    """One test's database on the private cluster, and the environment of the processes that use it."""

    def __init__(self, cluster: PgCluster, name: str, data_dir: Path):
        self.cluster, self.name, self.data_dir = cluster, name, data_dir
        self.url = cluster.url(name)

    def env(self, **extra: str) -> dict[str, str]:
        return django_env(self.url, self.data_dir, **extra)

    def stage(self, name: str, **params: Any) -> dict[str, Any]:
        return stage(name, self.env(), **params)

    def query(self, sql: str, params: Any = None) -> list[tuple]:
        with psycopg.connect(self.url, connect_timeout=10) as conn:
            return conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: Any = None) -> Any:
        return self.query(sql, params)[0][0]

    def audit_verify(self) -> subprocess.CompletedProcess:
        return bench.kezek("audit", "verify", env=self.env(), check=False)


@pytest.fixture
def fault_db(cluster: PgCluster, template_database: str, tmp_path: Path) -> FaultDb:
    name = f"kezek_fault_{next(_counter)}"
    cluster.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    return FaultDb(cluster, name, data_dir)


def wait_until(predicate, timeout: float, describe=lambda: "", interval: float = 0.05) -> float:
    """Poll ``predicate`` until true; returns the seconds it took (fails after ``timeout``)."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout} s\n{describe()}")
        time.sleep(interval)
    return time.monotonic() - started
