"""``kezek worker`` killed with SIGKILL in the middle of its work: another worker finishes, each effect happens once.

(c) Sending notifications: hundreds of SMS in the outbox, a slowed fake gateway that keeps each idempotency
key's first answer (as a real gateway does), the worker killed mid-batch, twice; the next workers take the
dead ones' rows over when their leases end. Every message is delivered once; the only repeats the gateway
sees are retries under the same key, of messages that were on the wire when their worker died.

(d) Expiring offers: a round's offers all past their deadline, the worker killed while it expires them;
a second worker finishes. Every offer expired once, each place passed on once (one next-in-line offer),
one audit event and one notification per expiry, and the audit chain verifies.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.fakes.sms_gateway import FakeSmsGateway
from tests.faults.conftest import REPO, FaultDb, wait_until
from tests.subprocesses import kezek_command

STARTUP_SECONDS = 90  # two shared cores: Django's start-up can take a while under load


class Worker:
    """One ``kezek worker`` subprocess with its own log."""

    def __init__(self, env: dict[str, str], log: Path, *tasks: str):
        self.log = log
        task_args = [arg for task in tasks for arg in ("--task", task)]
        with log.open("wb") as out:
            self.proc = subprocess.Popen([*kezek_command(), "worker", *task_args], env=env, cwd=REPO,
                                         stdout=out, stderr=subprocess.STDOUT)

    def wait_ready(self) -> None:
        wait_until(lambda: b"worker running" in self.log.read_bytes() or self.proc.poll() is not None, STARTUP_SECONDS,
                   self.tail)
        assert self.proc.poll() is None, self.tail()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=15)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return self.proc.returncode

    def tail(self) -> str:
        return f"--- {self.log.name}\n{self.log.read_text(errors='replace')[-3000:]}"


@pytest.fixture
def workers():
    started: list[Worker] = []

    def start(env: dict[str, str], log: Path, *tasks: str) -> Worker:
        started.append(Worker(env, log, *tasks))
        return started[-1]

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()


MESSAGES = 300
KILLS = 2


def test_worker_killed_while_sending_notifications(fault_db: FaultDb, workers, tmp_path: Path):
    keys = fault_db.stage("seed_outbox", count=MESSAGES)["keys"]
    started = time.monotonic()
    with FakeSmsGateway(token="fault-token") as gateway:
        gateway.delay_seconds = 0.02  # each answer held back: a batch of 50 takes a second on the wire
        env = fault_db.env(KEZEK_SMS_BACKEND="http", KEZEK_SMS_HTTP_URL=gateway.url, KEZEK_SMS_HTTP_TOKEN=gateway.token,
                           KEZEK_SMS_HTTP_TIMEOUT="5", KEZEK_OUTBOX_LEASE_SECONDS="3")
        killed_at: list[int] = []
        for n in range(KILLS):
            worker = workers(env, tmp_path / f"worker-{n + 1}.log", "notifications.deliver_outbox")
            # Kill it in the middle of a batch: some of its leased messages sent, others not yet.
            target = len(gateway.requests) + 70
            wait_until(lambda w=worker, t=target: len(gateway.requests) >= t or w.proc.poll() is not None,
                       STARTUP_SECONDS, worker.tail)
            worker.kill()
            killed_at.append(len(gateway.requests))
        leased_by_dead = fault_db.scalar(
            "SELECT count(*) FROM notifications_outboxmessage WHERE status = 'pending' AND lease_owner <> ''")
        finisher = workers(env, tmp_path / "worker-last.log", "notifications.deliver_outbox")
        wait_until(
            lambda: fault_db.scalar("SELECT count(*) FROM notifications_outboxmessage WHERE status = 'sent'") == MESSAGES,
            120, finisher.tail, interval=0.5,
        )
        assert finisher.stop() == 0, finisher.tail()
        requested, delivered = gateway.requested_keys(), gateway.delivered_keys()
        deliveries = {d.idempotency_key: d.id for d in gateway.deliveries}

    rows = fault_db.query("SELECT idempotency_key, status, attempts, provider_message_id FROM notifications_outboxmessage")
    assert {key for key, *_ in rows} == set(keys)
    assert all(status == "sent" for _, status, _, _ in rows)
    # Delivered once each, and each row records the answer of that one delivery.
    assert delivered == Counter(keys)
    assert {key: provider_id for key, _, _, provider_id in rows} == deliveries
    # Repeats are only retries under the same key of messages a killed worker had leased.
    repeated = {key: n for key, n in requested.items() if n > 1}
    retried = {key for key, _, attempts, _ in rows if attempts > 1}
    assert set(repeated) <= retried
    assert leased_by_dead > 0  # the kills really left leased, unfinished messages behind
    print(f"\n[faults] notifications: {MESSAGES} messages, {KILLS} workers killed after {killed_at} gateway requests, "
          f"{leased_by_dead} messages left leased by dead workers, {sum(requested.values())} requests, "
          f"{len(repeated)} keys sent twice (same key, delivered once), {len(retried)} rows retried; "
          f"{time.monotonic() - started:.1f} s")


OFFERS = 120


def test_worker_killed_while_expiring_offers(fault_db: FaultDb, workers, tmp_path: Path):
    seeded = fault_db.stage("seed_expired_offers", offers=OFFERS)
    offer_ids = seeded["offer_ids"]
    assert len(offer_ids) == OFFERS
    env = fault_db.env()
    expired_sql = "SELECT count(*) FROM placements_offer WHERE status = 'expired' AND id = ANY(%s)"
    started = time.monotonic()
    first = workers(env, tmp_path / "worker-1.log", "placements.expire_offers")
    wait_until(lambda: fault_db.scalar(expired_sql, [offer_ids]) >= 15 or first.proc.poll() is not None,
               STARTUP_SECONDS, first.tail, interval=0.02)
    first.kill()
    at_kill = fault_db.scalar(expired_sql, [offer_ids])
    assert at_kill < OFFERS, "the worker finished before it could be killed: raise OFFERS"

    second = workers(env, tmp_path / "worker-2.log", "placements.expire_offers")
    wait_until(lambda: fault_db.scalar(expired_sql, [offer_ids]) == OFFERS, 120, second.tail, interval=0.5)
    assert second.stop() == 0, second.tail()
    seconds = time.monotonic() - started

    assert fault_db.scalar("SELECT count(*) FROM placements_offer WHERE id = ANY(%s) AND NOT passed_on", [offer_ids]) == 0
    # One expiry audit event and one notification per offer, one pass-on each, giving one new offer each.
    expire_events = Counter(int(oid) for (oid,) in fault_db.query(
        "SELECT object_id FROM audit_auditevent WHERE action = 'placements.offer.expire'"))
    assert expire_events == Counter(offer_ids)
    pass_on_from = Counter(int(src) for (src,) in fault_db.query(
        "SELECT (after->>'from_offer') FROM audit_auditevent WHERE action = 'placements.place.pass_on'"))
    assert pass_on_from == Counter(offer_ids)
    messages = Counter(key for (key,) in fault_db.query(
        "SELECT idempotency_key FROM notifications_outboxmessage WHERE template = 'placements_offer_expired'"))
    assert messages == Counter(f"placements:offer:{oid}:expired" for oid in offer_ids)
    fresh = fault_db.query(
        "SELECT application_id, place_id FROM placements_offer WHERE round_id = %s AND source = 'next_in_line'",
        [seeded["round_id"]])
    assert len(fresh) == OFFERS
    assert len({app for app, _ in fresh}) == OFFERS and len({place for _, place in fresh}) == OFFERS
    assert fault_db.scalar(
        "SELECT count(*) FROM rounds_roundplace WHERE round_id = %s AND taken > places", [seeded["round_id"]]) == 0
    audit = fault_db.audit_verify()
    assert audit.returncode == 0, audit.stdout + audit.stderr
    print(f"\n[faults] offer expiry: {OFFERS} offers past their deadline, worker killed after {at_kill} expiries, "
          f"second worker finished; {OFFERS} expired once, {len(fresh)} next-in-line offers, audit chain verified; "
          f"{seconds:.1f} s")
