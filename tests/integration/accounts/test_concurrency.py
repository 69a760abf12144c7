"""Parallel attempts on one phone, with real row locks (PostgreSQL)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from kezek.accounts import services
from kezek.accounts.models import PhoneLock, User
from kezek.audit.models import AuditEvent
from kezek.domain.errors import DomainError
from tests.factories.accounts import make_adult_person
from tests.integration.accounts.helpers import last_code

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def attempt(phone: str, code: str, ip: str) -> str:
    try:
        services.otp_verify(phone=phone, code=code, ip=ip)
        return "ok"
    except DomainError as exc:
        return exc.code
    finally:
        connection.close()


def test_parallel_right_codes_sign_in_once():
    person = make_adult_person()
    services.otp_request(phone=person.phone, ip="192.0.2.1", language="ru")
    code = last_code(person.phone)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda i: attempt(person.phone, code, f"192.0.2.{i}"), range(6)))
    assert results.count("ok") == 1
    # The others meet a used code: counted as wrong ones (the fifth of them locks the phone).
    assert results.count("otp_invalid") == 4 and results.count("phone_locked") == 1
    assert User.objects.filter(person__iin=person.iin).count() == 1


def test_parallel_wrong_codes_are_all_counted_and_lock_once():
    person = make_adult_person()
    services.otp_request(phone=person.phone, ip="192.0.2.1", language="ru")
    wrong = f"{(int(last_code(person.phone)) + 1) % 1_000_000:06d}"
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: attempt(person.phone, wrong, f"192.0.2.{i}"), range(8)))
    # Attempts 1-4 are wrong codes, the 5th locks, the rest meet the lock: no attempt escapes the count.
    assert results.count("otp_invalid") == 4
    assert results.count("phone_locked") == 4
    assert PhoneLock.objects.get(phone=person.phone).locked_until is not None
    assert AuditEvent.objects.filter(action="accounts.phone.locked").count() == 1
