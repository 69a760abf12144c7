"""One Redis client per process, even when a gthread worker's threads all reach for it at once.

Two clients made at the same moment would leave one unreferenced; redis-py then closes that client's
pool on garbage collection, under the feet of the thread still using one of its connections (seen in the
scale test as "Bad file descriptor" 500s at the opening minute).
"""

from __future__ import annotations

import sys
import threading

import pytest

from kezek.core import redis as kezek_redis

URL = "redis://127.0.0.1:6379/10"
THREADS = 32


@pytest.fixture
def fresh_clients(settings):
    settings.REDIS_URL = URL
    kezek_redis.redis_clients_forget()
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, so a race in the first call shows
    yield
    sys.setswitchinterval(previous)
    kezek_redis.redis_clients_forget()


def test_threads_calling_at_once_share_one_client_and_every_call_works(fresh_clients):
    barrier = threading.Barrier(THREADS)
    clients: list[object] = []
    errors: list[BaseException] = []

    def first_use() -> None:
        barrier.wait()
        try:
            client = kezek_redis.redis_client()
            pipe = client.pipeline()
            pipe.incr("kezek:test:redis-client")
            pipe.expire("kezek:test:redis-client", 30)
            pipe.execute()
            clients.append(client)
        except BaseException as exc:  # noqa: BLE001 - every failure is the finding
            errors.append(exc)

    threads = [threading.Thread(target=first_use) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors[:3]
    assert len(clients) == THREADS
    assert len({id(client) for client in clients}) == 1
