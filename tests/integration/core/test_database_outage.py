"""An unreachable database answers 503 with Retry-After (problem JSON or a short page), never 500.

Two levels, no mocked database: gunicorn started with a DATABASE_URL where nothing answers (PostgreSQL on a
port nobody listens on; on the SQLite pass, a database file in a directory that does not exist), and
Django's test client with this test's own connection pointed the same way for a moment. Failures met by a
view (the API's handlers, ``handler500``) and by a middleware (a session cookie makes the session and the
signed-in user load before any view) are both covered; /health stays 200 and /ready says 503.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from redis import exceptions as redis_errors
from django.conf import settings
from django.db import (
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
)
from django.test import Client
from django.urls import reverse

from kezek.core.errors import PROBLEM_CONTENT_TYPE
from kezek.core.outage import is_database_unavailable
from kezek.core.redis import redis_clients_forget
from tests.conftest import read_sms
from tests.factories.accounts import make_adult_person
from tests.integration.web.helpers import ask_code

sys.path.insert(0, str(Path(settings.BASE_DIR) / "bench"))
import _common as bench  # bench/_common.py: the gunicorn starter and helpers the benchmarks use

STARTUP_TIMEOUT = 90  # two shared cores: Django's start-up can take a while under load
RETRY_AFTER = "7"
OPENING = "/api/v1/rush/openings/no-such-opening"  # public, and reads the database
FAKE_SESSION = {"Cookie": f"{settings.SESSION_COOKIE_NAME}=abcdefghijklmnopqrstuvwxyz012345"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _unreachable_url(tmp_path: Path) -> str:
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'missing-directory' / 'kezek.sqlite3'}"
    return f"postgres://postgres@127.0.0.1:{_free_port()}/kezek_unreachable"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """gunicorn whose database cannot be reached (bench/_common.py's starter: it waits for /api/v1/health)."""
    env = {
        **os.environ, "DATABASE_URL": _unreachable_url(tmp_path), "PYTHONUNBUFFERED": "1", "DEBUG": "0",
        "KEZEK_DATABASE_RETRY_AFTER_SECONDS": RETRY_AFTER, "LOG_FORMAT": "json", "LOG_LEVEL": "INFO",
    }
    env.pop("REDIS_URL", None)
    log = tmp_path / "gunicorn.log"
    gunicorn = bench.Gunicorn(bench.GunicornConfig(workers=1), env, log_path=log)
    gunicorn.start(wait_seconds=STARTUP_TIMEOUT)
    try:
        yield gunicorn.base_url, log
    finally:
        gunicorn.stop()


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int | None, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as answer:
        return answer.code, dict(answer.headers), answer.read()
    except OSError:
        return None, {}, b""


def assert_api_outage(status: int, headers: dict[str, str], body: bytes, path: str) -> dict:
    assert status == 503, body[:500]
    assert headers["Retry-After"] == RETRY_AFTER
    assert headers["Content-Type"] == PROBLEM_CONTENT_TYPE
    problem = json.loads(body)
    assert (problem["status"], problem["code"], problem["instance"]) == (503, "database_unavailable", path)
    assert problem["type"] == "https://kezek.kz/problems/database_unavailable"
    return problem


def test_gunicorn_without_its_database_answers_503_with_retry_after(server: tuple[str, Path]):
    server, _ = server
    english = {"Accept-Language": "en"}
    status, headers, body = fetch(server + OPENING, english)
    problem = assert_api_outage(status, headers, body, OPENING)
    assert problem["title"] == "The service is temporarily unavailable."
    assert problem["detail"] == f"Kezek cannot reach its database at the moment. Try again in {RETRY_AFTER} seconds."
    assert problem["request_id"] == headers["X-Request-ID"]

    # A session cookie: the session and the user are loaded by middleware, before any view.
    status, headers, body = fetch(server + "/api/v1/auth/sessions", {**english, **FAKE_SESSION})
    assert_api_outage(status, headers, body, "/api/v1/auth/sessions")

    for path, cookie in ((reverse("rounds:public-list"), {}), (reverse("web:home"), FAKE_SESSION)):
        status, headers, body = fetch(server + path, {"Accept-Language": "kk", **cookie})
        assert status == 503, body[:500]
        assert headers["Retry-After"] == RETRY_AFTER and headers["Content-Type"].startswith("text/html")
        assert b'<html lang="kk">' in body  # the page is in the visitor's language
        status, _, body = fetch(server + path, {"Accept-Language": "en", **cookie})
        assert status == 503 and b"The service is temporarily unavailable" in body
        assert f"Please try again in {RETRY_AFTER} seconds".encode() in body

    assert fetch(server + "/health")[0] == 200
    status, headers, body = fetch(server + "/ready")
    assert status == 503 and json.loads(body)["checks"]["database"]["status"] == "fail"


def test_the_outage_is_logged_once_per_request_without_a_stack_trace(server: tuple[str, Path]):
    server, log = server
    assert fetch(server + OPENING, {"X-Request-ID": "outage-log-0001"})[0] == 503
    assert fetch(server + reverse("web:home"), {"X-Request-ID": "outage-log-0002", **FAKE_SESSION})[0] == 503
    deadline = time.monotonic() + 10
    while b"outage-log-0002" not in log.read_bytes() and time.monotonic() < deadline:
        time.sleep(0.1)
    records = [json.loads(line) for line in log.read_text(errors="replace").splitlines() if line.startswith("{")]
    for request_id in ("outage-log-0001", "outage-log-0002"):
        mine = [r for r in records if r.get("request_id") == request_id]
        outages = [r for r in mine if r.get("logger") == "kezek.outage"]
        assert len(outages) == 1, mine
        assert outages[0]["level"] == "WARNING" and "database unavailable" in outages[0]["message"]
    assert "Traceback" not in log.read_text(errors="replace")


@pytest.fixture
def unreachable_connection(tmp_path: Path, settings) -> Iterator[None]:
    """This test's own connection pointed, for the test, at a database that cannot be reached."""
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = str(tmp_path / "missing-directory" / "kezek.sqlite3")
    else:
        connection.settings_dict["PORT"] = _free_port()
    settings.KEZEK_DATABASE_RETRY_AFTER_SECONDS = int(RETRY_AFTER)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


@pytest.mark.django_db(transaction=True)
def test_django_client_api_and_pages_answer_503(unreachable_connection):
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    response = client.get(OPENING)
    assert_api_outage(response.status_code, dict(response.headers), response.content, OPENING)

    client.cookies[settings.SESSION_COOKIE_NAME] = "abcdefghijklmnopqrstuvwxyz012345"
    response = client.get(reverse("web:home"))
    assert response.status_code == 503 and response["Retry-After"] == RETRY_AFTER
    assert b"The service is temporarily unavailable" in response.content
    assert Client().get("/health").status_code == 200  # liveness never needs the database
    assert client.get("/health").status_code == 200  # not even with a session cookie (probes skip the account)
    ready = client.get("/ready")
    assert ready.status_code == 503 and ready["Retry-After"]


def _wrapped(django_error: type[Exception], cause: BaseException | None) -> Exception:
    # As Django's DatabaseErrorWrapper raises them: the driver's exception as the cause.
    try:
        raise django_error(*(cause.args if cause else ())) from cause
    except django_error as exc:
        return exc


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (_wrapped(OperationalError, psycopg.OperationalError("connection refused")), True),
        (_wrapped(OperationalError, psycopg.errors.AdminShutdown()), True),
        (_wrapped(OperationalError, psycopg.errors.CannotConnectNow()), True),
        (_wrapped(OperationalError, psycopg.errors.ConnectionFailure()), True),
        (_wrapped(InterfaceError, psycopg.InterfaceError("the connection is closed")), True),
        (_wrapped(InterfaceError, None), True),  # Django's own "connection already closed"
        (_wrapped(OperationalError, sqlite3.OperationalError("unable to open database file")), True),
        # A busy database is not an outage: those keep their own answers (busy 503s, conflicts, 500s).
        (_wrapped(OperationalError, psycopg.errors.QueryCanceled()), False),
        (_wrapped(OperationalError, psycopg.errors.LockNotAvailable()), False),
        (_wrapped(OperationalError, psycopg.errors.DeadlockDetected()), False),
        (_wrapped(OperationalError, sqlite3.OperationalError("database is locked")), False),
        (_wrapped(IntegrityError, psycopg.errors.UniqueViolation()), False),
        (_wrapped(DataError, psycopg.errors.NumericValueOutOfRange()), False),
        (redis_errors.ConnectionError("Error 111 connecting to 127.0.0.1:6379"), True),
        (redis_errors.TimeoutError("Timeout reading from socket"), True),
        (redis_errors.ResponseError("WRONGTYPE"), False),  # a bug, not an outage
        (ValueError("connection"), False),
        (None, False),
    ],
)
def test_what_counts_as_the_database_being_unreachable(error, outage):
    assert is_database_unavailable(error) is outage


@pytest.fixture
def unreachable_redis(settings) -> Iterator[None]:
    """REDIS_URL pointed, for the test, at a port where no Redis listens."""
    settings.REDIS_URL = f"redis://127.0.0.1:{_free_port()}/0"
    settings.KEZEK_DATABASE_RETRY_AFTER_SECONDS = int(RETRY_AFTER)
    redis_clients_forget()
    yield
    redis_clients_forget()


@pytest.mark.django_db
def test_an_unreachable_redis_is_an_outage_too(unreachable_redis, sms_file):
    phone = make_adult_person().phone  # sign-in counts its rate limits in Redis when REDIS_URL is set
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    path = "/api/v1/auth/otp/request"
    response = client.post(path, {"phone": phone}, content_type="application/json")
    assert_api_outage(response.status_code, dict(response.headers), response.content, path)
    page = ask_code(client, phone)
    assert page.status_code == 503 and page["Retry-After"] == RETRY_AFTER
    assert b"The service is temporarily unavailable" in page.content
    assert not read_sms(sms_file)  # nothing was sent
