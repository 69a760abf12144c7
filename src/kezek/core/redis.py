"""The optional Redis connection: one pool per process, nothing stored in the process itself."""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings

_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def redis_enabled() -> bool:
    return bool(settings.REDIS_URL)


def _client(url: str):
    # Made once under a lock: a second client made by a racing thread would be dropped, and redis-py closes a
    # dropped client's pool when it is collected, breaking the connection another thread is using.
    client = _clients.get(url)
    if client is None:
        with _clients_lock:
            client = _clients.get(url)
            if client is None:
                import redis

                client = _clients[url] = redis.Redis.from_url(
                    url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30
                )
    return client


def redis_clients_forget() -> None:
    """Drop this process's clients (tests that change REDIS_URL's server start from none)."""
    with _clients_lock:
        _clients.clear()


def redis_client():
    """The Redis client for REDIS_URL (call only when ``redis_enabled()``)."""
    return _client(settings.REDIS_URL)
