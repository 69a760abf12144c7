"""Fixed-window rate limits, shared by every process: in the database, or in Redis when configured."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from kezek.core.models import RateCounter
from kezek.core.ratelimit import rate_count, rate_counters_prune, rate_hit
from kezek.core.redis import redis_client

pytestmark = pytest.mark.django_db

REDIS_TEST_URL = "redis://127.0.0.1:6379/14"


@pytest.fixture(params=["database", "redis"])
def backend(request, settings) -> str:
    if request.param == "redis":
        settings.REDIS_URL = REDIS_TEST_URL
        redis_client().flushdb()
    else:
        settings.REDIS_URL = ""
    yield request.param
    if request.param == "redis":
        redis_client().flushdb()


def test_counts_hits_and_refuses_over_the_limit(backend):
    results = [rate_hit(key="otp:+77011234567", limit=3, window_seconds=60, now=1000.0) for _ in range(5)]
    assert [r.count for r in results] == [1, 2, 3, 4, 5]
    assert [r.allowed for r in results] == [True, True, True, False, False]
    assert rate_count(key="otp:+77011234567", window_seconds=60, now=1000.0) == 5
    assert rate_count(key="otp:+77011234567", window_seconds=60, now=1000.0) == 5  # reading does not count
    assert RateCounter.objects.exists() is (backend == "database")


def test_keys_are_counted_separately(backend):
    rate_hit(key="a", limit=1, window_seconds=60, now=1000.0)
    assert rate_hit(key="b", limit=1, window_seconds=60, now=1000.0).count == 1
    assert rate_count(key="never", window_seconds=60, now=1000.0) == 0


def test_window_rolls_over(backend):
    # Windows are aligned to multiples of their length: 960..1019 and 1020..1079 for 60 seconds.
    assert rate_hit(key="k", limit=2, window_seconds=60, now=960.0).count == 1
    assert rate_hit(key="k", limit=2, window_seconds=60, now=1019.999).count == 2
    third = rate_hit(key="k", limit=2, window_seconds=60, now=1019.999)
    assert (third.count, third.allowed) == (3, False)
    fresh = rate_hit(key="k", limit=2, window_seconds=60, now=1020.0)
    assert (fresh.count, fresh.allowed) == (1, True)
    assert rate_count(key="k", window_seconds=60, now=1000.0) == 3
    assert rate_count(key="k", window_seconds=60, now=1079.0) == 1


@pytest.mark.parametrize(
    ("now", "retry_after"),
    [(960.0, 60), (1000.5, 20), (1019.9, 1), (1019.9999, 1), (1020.0, 60)],
)
def test_retry_after_is_the_time_left_in_the_window(backend, now, retry_after):
    assert rate_hit(key="r", limit=1, window_seconds=60, now=now).retry_after == retry_after


def test_redis_keys_expire_after_their_window(settings):
    settings.REDIS_URL = REDIS_TEST_URL
    redis_client().flushdb()
    rate_hit(key="exp", limit=1, window_seconds=60, now=1000.0)
    ttl = redis_client().ttl("kezek:rl:exp:960")
    assert 60 <= ttl <= 65


def test_old_database_counters_are_pruned(settings):
    settings.REDIS_URL = ""
    rate_hit(key="old", limit=1, window_seconds=60, now=1000.0)
    rate_hit(key="new", limit=1, window_seconds=60, now=200_000.0)
    assert rate_counters_prune(older_than_seconds=86_400, now=200_000.0) == 1
    assert list(RateCounter.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("use_redis", [False, True], ids=["database", "redis"])
def test_concurrent_hits_get_each_count_exactly_once(settings, use_redis):
    settings.REDIS_URL = REDIS_TEST_URL if use_redis else ""
    if use_redis:
        redis_client().flushdb()
    counts: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(20)

    def hit() -> None:
        try:
            start.wait()
            counts.append(rate_hit(key="burst", limit=10, window_seconds=3600, now=7200.0).count)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=hit) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(counts) == list(range(1, 21))
    assert rate_count(key="burst", window_seconds=3600, now=7200.0) == 20
    if use_redis:
        redis_client().flushdb()


def test_a_refund_takes_back_one_hit_of_its_window_and_never_goes_below_zero(backend):
    from kezek.core.ratelimit import rate_refund

    for _ in range(3):
        rate_hit(key="r", limit=2, window_seconds=60, now=1000.0)
    rate_refund(key="r", window_seconds=60, now=1019.0)  # same window (960..1019)
    assert rate_count(key="r", window_seconds=60, now=1000.0) == 2
    rate_refund(key="r", window_seconds=60, now=1020.0)  # the next window has no hits: nothing to take back
    rate_refund(key="never", window_seconds=60, now=1000.0)
    assert rate_count(key="r", window_seconds=60, now=1020.0) == 0
    assert rate_count(key="never", window_seconds=60, now=1000.0) == 0
    assert rate_hit(key="r", limit=2, window_seconds=60, now=1000.0).count == 3
