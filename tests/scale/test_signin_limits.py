"""Sign-in limits hold across app processes: two gunicorn app servers (2 workers each) on one database.

Wrong SMS codes, staff passwords and code requests are spread over both servers (and over many client
addresses, as nginx forwards them in X-Forwarded-For), one after the other and all at once; the limits
count them in total, not per process. Run with Redis (REDIS_URL, db 11) and without it (rate counters
and the cache in the database), because the shared state lives in one or the other.
"""

from __future__ import annotations

import json
import math
import secrets
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from kezek.accounts.models import OtpChallenge, PhoneLock
from kezek.accounts.services import HOUR, STAFF_WINDOW_SECONDS
from kezek.audit.models import AuditEvent
from tests.factories.accounts import STAFF_PASSWORD, make_adult_person, make_officer
from tests.integration.accounts.helpers import last_code
from tests.scale import stack

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

# Small limits for these servers, so the tests stay short (a wrong staff password costs a full hash).
SENDS_PER_IP = 6
STAFF_ATTEMPTS = 4
SIGNIN = "/api/v1/auth/staff/signin"


@pytest.fixture(scope="module", params=["redis", "database"])
def servers(request, django_db_setup, tmp_path_factory) -> Iterator[list[stack.AppServer]]:
    """Two app servers on the test database, sharing Redis db 11 or (without REDIS_URL) only the database."""
    with_redis = request.param == "redis"
    if with_redis:
        stack.redis_flush()
    env = stack.stack_env(redis=with_redis, KEZEK_OTP_SENDS_PER_IP_PER_HOUR=str(SENDS_PER_IP),
                          KEZEK_STAFF_SIGNIN_ATTEMPTS_PER_15_MIN=str(STAFF_ATTEMPTS))
    logs = tmp_path_factory.mktemp(f"signin-{request.param}")
    started = stack.app_servers_start(2, env=env, log_dir=logs, workers=2, threads=2)
    try:
        yield started
    finally:
        for app in started:
            app.server.stop()


@pytest.fixture
def addresses():
    """Client addresses of this test only (Redis counters outlive the database flush between tests)."""
    prefix = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    return (f"{prefix}.{n}" for n in range(1, 255))


def clear_of_window_edge(window_seconds: int, need_seconds: float = 30) -> None:
    """Wait for the next fixed rate-limit window when this one ends within ``need_seconds``: the counts restart there."""
    left = window_seconds - time.time() % window_seconds
    if left < need_seconds:
        time.sleep(math.ceil(left) + 0.5)


def post(server: stack.AppServer, path: str, body: dict[str, Any], *, address: str) -> tuple[int, dict[str, Any]]:
    """POST JSON as a plain API client (no cookies) from ``address``, as nginx forwards it."""
    request = urllib.request.Request(
        server.url + path, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json", "X-Forwarded-For": address,
                 "Accept-Language": "en"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def at_once(calls: list[tuple]) -> list[tuple[int, dict[str, Any]]]:
    """Send every ``(server, path, body, address)`` at the same time (threads), answers in the same order."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda c: post(c[0], c[1], c[2], address=c[3]), calls))


def wrong_code(right: str) -> str:
    return f"{(int(right) + 1) % 1_000_000:06d}"


def code_requested(servers, addresses) -> tuple[str, str]:
    """A registered adult's phone and the code sent to it (asked for on the first server)."""
    phone = make_adult_person().phone
    status, body = post(servers[0], "/api/v1/auth/otp/request", {"phone": phone}, address=next(addresses))
    assert status == 202, body
    return phone, last_code(phone)


def test_wrong_codes_on_both_servers_lock_the_phone_after_the_limit_in_total(servers, addresses):
    clear_of_window_edge(HOUR)
    limit = settings.KEZEK_OTP_MAX_ATTEMPTS
    phone, code = code_requested(servers, addresses)
    answers = [
        post(servers[n % 2], "/api/v1/auth/otp/verify", {"phone": phone, "code": wrong_code(code)}, address=next(addresses))
        for n in range(limit)
    ]
    assert [body["code"] for _, body in answers] == ["otp_invalid"] * (limit - 1) + ["phone_locked"]
    # Locked everywhere: the right code on the other server, and a new code, are refused.
    status, body = post(servers[limit % 2], "/api/v1/auth/otp/verify", {"phone": phone, "code": code}, address=next(addresses))
    assert (status, body["code"]) == (429, "phone_locked")
    status, body = post(servers[(limit + 1) % 2], "/api/v1/auth/otp/request", {"phone": phone}, address=next(addresses))
    assert (status, body["code"]) == (429, "phone_locked")
    lock = PhoneLock.objects.get(phone=phone)
    assert lock.locked_until is not None and lock.failures == 0  # the count starts again after a lock
    assert AuditEvent.objects.filter(action="accounts.phone.locked").count() == 1


def test_a_burst_of_wrong_codes_on_both_servers_counts_every_one(servers, addresses):
    clear_of_window_edge(HOUR)
    limit = settings.KEZEK_OTP_MAX_ATTEMPTS
    phone, code = code_requested(servers, addresses)
    burst = [(servers[n % 2], "/api/v1/auth/otp/verify", {"phone": phone, "code": wrong_code(code)}, next(addresses))
             for n in range(3 * limit)]
    codes = Counter(body["code"] for _, body in at_once(burst))
    # The phone's row lock orders the attempts: exactly limit - 1 were judged, the rest found the phone locked.
    assert codes == {"otp_invalid": limit - 1, "phone_locked": 2 * limit + 1}, codes
    status, body = post(servers[1], "/api/v1/auth/otp/verify", {"phone": phone, "code": code}, address=next(addresses))
    assert (status, body["code"]) == (429, "phone_locked")
    assert PhoneLock.objects.get(phone=phone).locked_until is not None
    assert AuditEvent.objects.filter(action="accounts.phone.locked").count() == 1  # locked once, not per server


def test_code_requests_for_one_phone_are_limited_in_total(servers, addresses):
    clear_of_window_edge(HOUR)
    limit = settings.KEZEK_OTP_SENDS_PER_PHONE_PER_HOUR
    phone = make_adult_person().phone
    answers = [post(servers[n % 2], "/api/v1/auth/otp/request", {"phone": phone}, address=next(addresses))
               for n in range(limit + 2)]
    assert [status for status, _ in answers] == [202] * limit + [429, 429]
    assert {body["code"] for _, body in answers[limit:]} == {"otp_send_limited"}
    assert OtpChallenge.objects.filter(phone=phone).count() == limit


def test_code_requests_from_one_address_are_limited_in_total(servers, addresses):
    clear_of_window_edge(HOUR)
    address = next(addresses)
    phones = [make_adult_person().phone for _ in range(SENDS_PER_IP + 1)]
    burst = [(servers[n % 2], "/api/v1/auth/otp/request", {"phone": phone}, address) for n, phone in enumerate(phones)]
    statuses = Counter(status for status, _ in at_once(burst))
    assert statuses == {202: SENDS_PER_IP, 429: 1}, statuses
    # The forwarded address is what counts: another client at the same moment is not affected.
    status, _ = post(servers[0], "/api/v1/auth/otp/request", {"phone": make_adult_person().phone}, address=next(addresses))
    assert status == 202


def officer_for_servers():
    """An officer whose password hash the servers know (the test process's fast test hasher is not among theirs)."""
    officer = make_officer()
    hasher = PBKDF2PasswordHasher()
    officer.password = hasher.encode(STAFF_PASSWORD, hasher.salt())
    officer.save(update_fields=["password"])
    return officer


def test_wrong_staff_passwords_on_both_servers_are_limited_in_total(servers, addresses):
    clear_of_window_edge(STAFF_WINDOW_SECONDS)
    limit = STAFF_ATTEMPTS
    officer = officer_for_servers()
    status, body = post(servers[1], SIGNIN, {"username": officer.username, "password": STAFF_PASSWORD}, address=next(addresses))
    assert status == 200, body  # the right password works, and a success does not count
    answers = [
        post(servers[n % 2], SIGNIN, {"username": officer.username, "password": f"wrong-{n}"}, address=next(addresses))
        for n in range(limit)
    ]
    assert {body["code"] for _, body in answers} == {"signin_failed"}
    for server in servers:
        status, body = post(server, SIGNIN, {"username": officer.username, "password": STAFF_PASSWORD}, address=next(addresses))
        assert (status, body["code"]) == (429, "signin_rate_limited")


def test_a_burst_of_wrong_staff_passwords_on_both_servers_gets_no_more_checks_than_the_limit(servers, addresses):
    clear_of_window_edge(STAFF_WINDOW_SECONDS)
    limit = STAFF_ATTEMPTS
    officer = officer_for_servers()
    burst = [(servers[n % 2], SIGNIN, {"username": officer.username, "password": f"wrong-{n}"}, next(addresses))
             for n in range(3 * limit)]
    codes = Counter(body["code"] for _, body in at_once(burst))
    assert set(codes) <= {"signin_failed", "signin_rate_limited"} and 1 <= codes["signin_failed"] <= limit, codes
    # One after the other, the attempts left in the window are used up: never more than the limit in total.
    failed = codes["signin_failed"]
    while failed <= limit:
        status, body = post(servers[failed % 2], SIGNIN, {"username": officer.username, "password": "wrong"},
                            address=next(addresses))
        if body["code"] == "signin_rate_limited":
            break
        assert body["code"] == "signin_failed", body
        failed += 1
    assert failed == limit, codes
    status, body = post(servers[0], SIGNIN, {"username": officer.username, "password": STAFF_PASSWORD}, address=next(addresses))
    assert (status, body["code"]) == (429, "signin_rate_limited")
