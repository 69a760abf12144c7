"""Fixed-window rate limits shared by every process: in Redis when configured, else in the database.

Call ``rate_hit`` outside a transaction that may roll back: a refused request must still count.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.db import connection

from kezek.core.redis import redis_client, redis_enabled


@dataclass(frozen=True)
class RateResult:
    allowed: bool
    count: int
    retry_after: int


def _window(window_seconds: int, now: float) -> tuple[int, int]:
    start = int(now // window_seconds) * window_seconds
    return start, max(1, math.ceil(start + window_seconds - now))


def _db_increment(key: str, window_start: int) -> int:
    # INSERT .. ON CONFLICT .. RETURNING is atomic on PostgreSQL and SQLite (>= 3.35) alike.
    table = "core_ratecounter"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, window_start, count) VALUES (%s, %s, 1) "
            f"ON CONFLICT (key, window_start) DO UPDATE SET count = {table}.count + 1 RETURNING count",
            [key, window_start],
        )
        return int(cursor.fetchone()[0])


def _db_read(key: str, window_start: int) -> int:
    from kezek.core.models import RateCounter

    row = RateCounter.objects.filter(key=key, window_start=window_start).values_list("count", flat=True).first()
    return int(row or 0)


def rate_hit(*, key: str, limit: int, window_seconds: int, now: float | None = None) -> RateResult:
    """Count one hit on ``key`` in the current window; allowed while the count stays within ``limit``."""
    now = time.time() if now is None else now
    start, remaining = _window(window_seconds, now)
    if redis_enabled():
        rkey = f"kezek:rl:{key}:{start}"
        pipe = redis_client().pipeline()
        pipe.incr(rkey)
        pipe.expire(rkey, window_seconds + 5)
        count = int(pipe.execute()[0])
    else:
        count = _db_increment(key, start)
    return RateResult(allowed=count <= limit, count=count, retry_after=remaining)


def rate_count(*, key: str, window_seconds: int, now: float | None = None) -> int:
    """How many hits ``key`` has in the current window, without counting one."""
    now = time.time() if now is None else now
    start, _ = _window(window_seconds, now)
    if redis_enabled():
        return int(redis_client().get(f"kezek:rl:{key}:{start}") or 0)
    return _db_read(key, start)


# DECR only a counter that exists and is above zero: a refund must never create a key or go negative.
_LUA_REFUND = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then return redis.call('DECR', KEYS[1]) end
return 0
"""


def rate_refund(*, key: str, window_seconds: int, now: float) -> None:
    """Take back one hit on ``key`` in the window of ``now`` (the hit's own time): an attempt that did not count."""
    start, _ = _window(window_seconds, now)
    if redis_enabled():
        redis_client().eval(_LUA_REFUND, 1, f"kezek:rl:{key}:{start}")
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_ratecounter SET count = count - 1 WHERE key = %s AND window_start = %s AND count > 0",
            [key, start],
        )


def rate_counters_prune(*, older_than_seconds: int = 86400, now: float | None = None) -> int:
    """Delete database counters of windows that ended long ago (Redis expires its own)."""
    from kezek.core.models import RateCounter

    now = time.time() if now is None else now
    deleted, _ = RateCounter.objects.filter(window_start__lt=int(now) - older_than_seconds).delete()
    return deleted
