"""schemathesis against /api/v1/openapi.json on a running gunicorn: no 5xx and no schema violations.

The test starts gunicorn on this test's database (committed data: ``transaction=True``; on SQLite a
file database, ``KEZEK_TEST_DB_NAME``, as scripts/test.sh sets) and runs the ``st`` command line three
times with a fixed seed: anonymously, as a signed-in parent and as a signed-in officer. The sessions
come from the real sign-in calls (SMS code, staff password); each signed-in run sends the session
cookie and the CSRF header (``-H Cookie: ...``, ``-H X-CSRFToken: ...``) and skips the two calls that
would end its own session. Checks: not_a_server_error, response_schema_conformance and
status_code_conformance. The counts of each run are printed (``pytest -s``).

Reproduce a run by hand against any server with the command line printed on failure.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.factories.accounts import STAFF_PASSWORD, make_officer
from tests.factories.applications import submit_application
from tests.integration.accounts.helpers import last_code
from tests.subprocesses import subprocess_database_url

pytestmark = pytest.mark.django_db(transaction=True)

SEED = 20261123
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance"
MIN_REQUESTS = 2000
STARTUP_TIMEOUT = 90  # two shared cores: Django's start-up can take a while under load
# Calls that would end the session a signed-in run is using (the anonymous run still covers them).
SESSION_ENDING = ["--exclude-path", "/api/v1/auth/signout", "--exclude-path", "/api/v1/auth/sessions/{session_id}"]
RUNS = {
    "anonymous": {"examples": 10, "phases": "fuzzing", "extra": []},
    "parent": {"examples": 5, "phases": "coverage,fuzzing", "extra": SESSION_ENDING},
    "officer": {"examples": 8, "phases": "fuzzing", "extra": SESSION_ENDING},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": subprocess_database_url(), "DB_CONN_MAX_AGE": "0", "PYTHONUNBUFFERED": "1"}
    env.pop("REDIS_URL", None)
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2", "--timeout", "60"],
            env=env, cwd=settings.BASE_DIR, stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            assert proc.poll() is None, f"gunicorn exited:\n{log.read_text(errors='replace')[-3000:]}"
            try:
                with urllib.request.urlopen(f"{url}/api/v1/health", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"gunicorn did not answer:\n{log.read_text(errors='replace')[-3000:]}"
            time.sleep(0.5)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


def _session_headers(client: Client) -> list[str]:
    """The ``-H`` options that make schemathesis send this client's session cookie and CSRF token."""
    token = client.get("/api/v1/auth/csrf").json()["csrf_token"]
    cookies = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}; {settings.CSRF_COOKIE_NAME}={token}"
    return ["-H", f"Cookie: {cookies}", "-H", f"X-CSRFToken: {token}"]


def _parent_headers() -> list[str]:
    application = submit_application()  # a parent with a child in the queue, so some ids exist
    phone = application.applicant.person.phone
    client = Client()
    client.post("/api/v1/auth/otp/request", {"phone": phone}, content_type="application/json")
    signed_in = client.post("/api/v1/auth/otp/verify", {"phone": phone, "code": last_code(phone)}, content_type="application/json")
    assert signed_in.status_code == 200, signed_in.content
    return _session_headers(client)


def _officer_headers() -> list[str]:
    officer = make_officer()
    client = Client()
    signed_in = client.post(
        "/api/v1/auth/staff/signin", {"username": officer.username, "password": STAFF_PASSWORD}, content_type="application/json"
    )
    assert signed_in.status_code == 200, signed_in.content
    return _session_headers(client)


def _run(server: str, name: str, headers: list[str], report_dir: Path) -> dict:
    run = RUNS[name]
    command = [
        str(Path(sys.executable).with_name("st")), "run", f"{server}/api/v1/openapi.json",
        "--checks", CHECKS, "--seed", str(SEED), "--max-examples", str(run["examples"]), "--workers", "2",
        "--phases", run["phases"], "--request-timeout", "30", "--no-color",
        "--report", "json", "--report-dir", str(report_dir / name), *run["extra"], *headers,
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=report_dir)
    (report_dir / f"{name}.out").write_text(finished.stdout)
    [report] = (report_dir / name).glob("json-*.json")
    summary = json.loads(report.read_text())
    shown = " ".join(c if not c.startswith(("Cookie:", "X-CSRFToken:")) else repr(c.split(":")[0] + ": …") for c in command)
    assert finished.returncode == 0, f"{name} run failed:\n{shown}\n{finished.stdout[-6000:]}"
    assert not summary["failures"] and not summary["errors"], f"{name}: {summary['failures']} {summary['errors']}"
    return summary


def test_no_server_errors_and_no_schema_violations(server, tmp_path):
    headers = {"anonymous": [], "parent": _parent_headers(), "officer": _officer_headers()}
    requests = 0
    for name, extra in headers.items():
        summary = _run(server, name, extra, tmp_path)
        cases = summary["test_cases"]["generated"]
        requests += cases
        print(f"schemathesis {name}: {summary['operations']['tested']} operations, {cases} requests, {summary['running_time']:.0f}s")
    assert requests >= MIN_REQUESTS, requests
