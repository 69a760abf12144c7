"""The waiting room runs on Redis or on the database: most tests run on both (fixture ``room``)."""

from __future__ import annotations

import uuid

import pytest

from kezek.core.redis import redis_client

REDIS_TEST_URL = "redis://127.0.0.1:6379/12"


def _clean(prefix: str) -> None:
    # The room's own keys, and the rush rate-limit counters (kezek.core.ratelimit keeps them under kezek:rl:).
    client = redis_client()
    for pattern in (f"{prefix}:*", "kezek:rl:rush:*"):
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)


@pytest.fixture(params=["database", "redis"])
def room(request, settings) -> str:
    """The waiting room backend under test; Redis keys get a prefix of their own and are removed afterwards."""
    if request.param == "database":
        settings.REDIS_URL = ""
        yield "database"
        return
    settings.REDIS_URL = REDIS_TEST_URL
    settings.KEZEK_RUSH_REDIS_PREFIX = prefix = f"kezek:test-rush:{uuid.uuid4().hex}"
    _clean(prefix)
    yield "redis"
    _clean(prefix)


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    # Rate limits have tests of their own; other tests make many requests from one address.
    settings.KEZEK_RUSH_REQUESTS_PER_ACCOUNT_PER_MINUTE = 10_000
    settings.KEZEK_RUSH_REQUESTS_PER_IP_PER_MINUTE = 100_000
