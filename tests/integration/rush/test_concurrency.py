"""Real concurrent claims and joins, each thread on its own PostgreSQL connection."""

from __future__ import annotations

import secrets
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections, transaction

from kezek.accounts.models import Role, User
from kezek.audit.models import AuditHead
from kezek.domain.errors import DomainError
from kezek.rush import errors
from kezek.rush.models import Pool, PoolClaim
from kezek.rush.services import pool_claim, waiting_room_join, waiting_room_status
from tests.factories.rush import OPENS_TS, admission_token, make_opening

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
NOW = OPENS_TS + 30
THREADS = 40


def make_accounts(n: int) -> list[User]:
    tag = secrets.token_hex(4)
    return User.objects.bulk_create([User(username=f"rush-{tag}-{i}", role=Role.ADMIN) for i in range(n)])


def token_for(opening, account) -> str:
    return admission_token(opening, account, expires_at=NOW + 600)


def run_together(calls: list, func) -> list:
    """Run ``func`` over ``calls`` on THREADS threads that all start at the same moment."""
    barrier = threading.Barrier(THREADS)
    chunks = [calls[i::THREADS] for i in range(THREADS)]

    def worker(chunk):
        try:
            barrier.wait(timeout=60)
            return [func(call) for call in chunk]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(worker, chunks))
    return [r for chunk in results for r in chunk]


def claim_with_retries(pool, account, holder, key):
    """Claim as a browser would: retry while the system says it is busy."""
    for _ in range(50):
        try:
            outcome = pool_claim(
                pool=pool, account=account, holder=holder, idempotency_key=key, token=token_for(pool.opening, account),
                on_claim=lambda c: {"claim": c.pk, "holder": c.holder}, now=NOW,
            )
            return "ok", outcome.claim.pk, outcome.result
        except errors.Saturated:
            continue
        except DomainError as exc:
            return exc.code, None, None
    return "gave_up", None, None


def test_200_concurrent_claims_for_50_places():
    pool = make_opening(pools={"main": 50}, max_in_flight=1000).pools.get()
    accounts = make_accounts(200)
    # 160 children; the last 40 claims are for children already claimed for by another account.
    calls = [(account, f"child:{i % 160}", f"key-{i}") for i, account in enumerate(accounts)]
    results = run_together(calls, lambda call: claim_with_retries(pool, *call))

    pool.refresh_from_db()
    assert pool.taken == 50
    claims = list(PoolClaim.objects.filter(pool=pool))
    assert len(claims) == 50
    assert max(Counter(c.holder for c in claims).values()) == 1
    successes = [r for r in results if r[0] == "ok"]
    assert len(successes) == 50
    stored = {c.pk: c.result for c in claims}
    for _, claim_pk, result in successes:  # every acknowledged claim is in the database with its result
        assert stored[claim_pk] == result
    assert set(Counter(r[0] for r in results)) <= {"ok", "sold_out", "holder_has_claim"}


def test_a_double_clicked_claim_takes_one_place():
    pool = make_opening(pools={"main": 5}, max_in_flight=1000).pools.get()
    account = make_accounts(1)[0]
    results = run_together([None] * THREADS, lambda _: claim_with_retries(pool, account, "child:1", "same-key"))
    assert len({r[1] for r in results}) == 1
    assert all(r[0] == "ok" for r in results)
    assert Pool.objects.get(pk=pool.pk).taken == 1


def test_a_lock_not_granted_in_time_answers_busy(settings):
    settings.KEZEK_RUSH_LOCK_TIMEOUT_MS = 200
    pool = make_opening(pools={"main": 5}).pools.get()
    account = make_accounts(1)[0]
    AuditHead.objects.get_or_create(id=1, defaults={"seq": 0, "hash": "0" * 64})
    holding, release = threading.Event(), threading.Event()

    def hold_the_audit_head():
        try:
            with transaction.atomic():
                AuditHead.objects.select_for_update().get(id=1)
                holding.set()
                release.wait(timeout=30)
        finally:
            connections["default"].close()

    holder = threading.Thread(target=hold_the_audit_head)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        with pytest.raises(errors.Saturated):
            pool_claim(pool=pool, account=account, holder="child:1", idempotency_key="k", token=token_for(pool.opening, account), now=NOW)
    finally:
        release.set()
        holder.join()
    assert Pool.objects.get(pk=pool.pk).taken == 0
    assert not PoolClaim.objects.exists()


def test_concurrent_joins_around_the_opening_get_distinct_ranks(room):
    opening = make_opening(rate=100)
    early, late = make_accounts(80), make_accounts(40)
    run_together(early, lambda a: waiting_room_join(opening=opening, account=a, now=OPENS_TS - 1))
    # Later arrivals join while others read their status at the opening (each read may seal the draw).
    calls = [("join", a) for a in late] + [("status", a) for a in early]
    run_together(
        calls,
        lambda c: (waiting_room_join if c[0] == "join" else waiting_room_status)(opening=opening, account=c[1], now=OPENS_TS + 1),
    )
    admitted = {
        a.pk: waiting_room_status(opening=opening, account=a, now=OPENS_TS + 2).visitor.admitted_at for a in early + late
    }
    ranks = {pk: round((t - OPENS_TS) * 100) + 1 if t < OPENS_TS + 1 else None for pk, t in admitted.items()}
    assert sorted(ranks[a.pk] for a in early) == list(range(1, 81))
    late_times = sorted(admitted[a.pk] for a in late)
    assert late_times[0] == pytest.approx(OPENS_TS + 1)  # the queue was empty by then: let in on arrival
    assert all(b - a == pytest.approx(0.01, abs=1e-5) for a, b in zip(late_times, late_times[1:]))
