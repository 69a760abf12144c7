"""Real ``kezek worker`` processes delivering the outbox to the fake gateway over HTTP.

These tests commit their data (``transaction=True``) so the worker subprocesses see it. On SQLite they
need a file database (``KEZEK_TEST_DB_NAME=/path/test.sqlite3``, as scripts/test.sh sets); with the
in-memory default they are skipped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings

from kezek.notifications.models import OutboxMessage
from kezek.notifications.services import notification_enqueue, outbox_deliver_batch
from tests.subprocesses import kezek_command, subprocess_database_url

Status = OutboxMessage.Status
STARTUP_TIMEOUT = 90  # two shared cores: Django's start-up can take a while under load


class Workers:
    """Starts worker subprocesses and makes sure every one of them is gone when the test ends."""

    def __init__(self, tmp_path: Path, gateway, **extra_env: str):
        self.tmp_path = tmp_path
        self.env = {
            **os.environ,
            "DATABASE_URL": subprocess_database_url(),
            "DB_CONN_MAX_AGE": "0",
            "PYTHONUNBUFFERED": "1",
            "KEZEK_SMS_BACKEND": "http",
            "KEZEK_SMS_HTTP_URL": gateway.url,
            "KEZEK_SMS_HTTP_TOKEN": gateway.token,
            "KEZEK_SMS_HTTP_TIMEOUT": "10",
            **extra_env,
        }
        self.env.pop("REDIS_URL", None)
        self.procs: list[tuple[subprocess.Popen, Path]] = []

    def start(self) -> subprocess.Popen:
        log = self.tmp_path / f"worker-{len(self.procs) + 1}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [*kezek_command(), "worker", "--task", "notifications.deliver_outbox"],
                env=self.env, cwd=settings.BASE_DIR, stdout=out, stderr=subprocess.STDOUT,
            )
        self.procs.append((proc, log))
        return proc

    def wait_ready(self, proc: subprocess.Popen) -> None:
        log = self.log_of(proc)
        wait_until(lambda: b"worker running" in log.read_bytes() or proc.poll() is not None, STARTUP_TIMEOUT, self.logs)
        assert proc.poll() is None, f"worker exited early:\n{self.logs()}"

    def log_of(self, proc: subprocess.Popen) -> Path:
        return next(log for p, log in self.procs if p is proc)

    def logs(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for _, log in self.procs)

    def stop_all(self) -> None:
        for proc, _ in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc, _ in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


def wait_until(predicate: Callable[[], bool], timeout: float, describe: Callable[[], str] = str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s\n{describe()}")
        time.sleep(0.05)


@pytest.fixture
def workers(tmp_path, gateway) -> Iterator[Callable[..., Workers]]:
    made: list[Workers] = []

    def make(**extra_env: str) -> Workers:
        made.append(Workers(tmp_path, gateway, **extra_env))
        return made[-1]

    try:
        yield make
    finally:
        for group in made:
            group.stop_all()


def enqueue(key: str) -> OutboxMessage:
    return notification_enqueue(
        channel="sms", recipient="+77011234567", template="probe", context={"name": key}, language="kk",
        idempotency_key=key,
    )


@pytest.mark.django_db(transaction=True)
def test_message_survives_a_worker_killed_mid_send_and_is_delivered_once(gateway, workers, settings):
    message = enqueue("killed-mid-send")
    gateway.delay_seconds = 3  # the gateway has the message but holds its answer back
    group = workers(KEZEK_OUTBOX_LEASE_SECONDS="2")

    first = group.start()
    wait_until(lambda: len(gateway.requests) >= 1, STARTUP_TIMEOUT, group.logs)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=15)

    # The gateway accepted it, but the worker died before it could record that.
    assert gateway.delivered_keys() == {"killed-mid-send": 1}
    message.refresh_from_db()
    assert message.status == Status.PENDING and message.sent_at is None
    assert message.attempts == 1 and message.lease_owner != ""

    gateway.delay_seconds = 0
    second = group.start()  # takes the message over once the dead worker's 2 s lease has ended

    def sent() -> bool:
        message.refresh_from_db()
        return message.status == Status.SENT

    wait_until(sent, STARTUP_TIMEOUT, group.logs)
    assert second.poll() is None
    assert message.attempts == 2
    assert gateway.requested_keys() == {"killed-mid-send": 2}  # sent twice (at-least-once) ...
    assert gateway.delivered_keys() == {"killed-mid-send": 1}  # ... delivered once, thanks to the key
    [delivery] = gateway.deliveries
    assert message.provider_message_id == delivery.id  # the repeat got the original answer


@pytest.mark.django_db(transaction=True)
def test_in_process_retry_after_a_killed_worker(gateway, workers, settings):
    """The same guarantee when the retry is made by ``outbox_deliver_batch`` in another process (this one)."""
    settings.KEZEK_SMS_BACKEND = "http"
    settings.KEZEK_SMS_HTTP_URL, settings.KEZEK_SMS_HTTP_TOKEN = gateway.url, gateway.token
    message = enqueue("killed-then-batch")
    gateway.delay_seconds = 5
    group = workers(KEZEK_OUTBOX_LEASE_SECONDS="5")
    worker = group.start()
    wait_until(lambda: len(gateway.requests) >= 1, STARTUP_TIMEOUT, group.logs)
    worker.kill()
    worker.wait(timeout=15)
    gateway.delay_seconds = 0

    assert outbox_deliver_batch(owner="in-process") == 0  # the dead worker's lease still holds
    wait_until(lambda: outbox_deliver_batch(owner="in-process") == 1, 15)
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert gateway.requested_keys() == {"killed-then-batch": 2}
    assert gateway.delivered_keys() == {"killed-then-batch": 1}


@pytest.mark.django_db(transaction=True)
def test_two_workers_deliver_a_hundred_messages_each_exactly_once(gateway, workers):
    gateway.delay_seconds = 0.03  # long enough for both workers to be sending at the same time
    group = workers()
    procs = [group.start(), group.start()]
    for proc in procs:
        group.wait_ready(proc)

    keys = [f"bulk-{i:03d}" for i in range(100)]
    for key in keys:
        enqueue(key)

    wait_until(
        lambda: OutboxMessage.objects.filter(status=Status.SENT).count() == 100,
        120,
        lambda: f"{OutboxMessage.objects.values_list('status', 'last_error')[:5]}\n{group.logs()}",
    )
    group.stop_all()
    assert all(proc.returncode == 0 for proc in procs), group.logs()  # SIGTERM ends them cleanly

    assert gateway.delivered_keys() == dict.fromkeys(keys, 1)
    assert gateway.requested_keys() == dict.fromkeys(keys, 1)  # leases kept the workers off each other's rows
    assert gateway.max_in_flight >= 2  # both workers really were sending concurrently
    assert not OutboxMessage.objects.exclude(status=Status.SENT).exists()
