"""The optional Redis connection: one pool per process, nothing stored in the process itself."""

from __future__ import annotations

from functools import cache

from django.conf import settings


def redis_enabled() -> bool:
    return bool(settings.REDIS_URL)


@cache
def _client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30)


def redis_client():
    """The Redis client for REDIS_URL (call only when ``redis_enabled()``)."""
    return _client(settings.REDIS_URL)
