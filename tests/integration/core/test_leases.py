"""claim_rows: a row is leased to one owner at a time; an expired lease can be claimed again."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from kezek.core.leases import claim_rows
from kezek.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def make_messages(n: int) -> list[int]:
    return [
        OutboxMessage.objects.create(channel="sms", recipient=f"+7701000{i:04d}", language="ru", template="test", body="b").pk
        for i in range(n)
    ]


def claim(owner: str, limit: int = 100, lease_seconds: int = 60, queryset=None) -> list[int]:
    rows = claim_rows(queryset=queryset or OutboxMessage.objects.all(), owner=owner, lease_seconds=lease_seconds, limit=limit)
    return [r.pk for r in rows]


def test_two_owners_never_get_the_same_row():
    pks = make_messages(5)
    first = claim("worker-a", limit=3)
    second = claim("worker-b", limit=10)
    assert len(first) == 3 and len(second) == 2
    assert set(first).isdisjoint(second) and set(first) | set(second) == set(pks)
    assert claim("worker-c") == []
    owners = dict(OutboxMessage.objects.values_list("pk", "lease_owner"))
    assert {owners[pk] for pk in first} == {"worker-a"} and {owners[pk] for pk in second} == {"worker-b"}


def test_claimed_rows_come_back_leased_for_the_lease_time():
    make_messages(2)
    before = timezone.now()
    rows = claim_rows(queryset=OutboxMessage.objects.all(), owner="w", lease_seconds=90, limit=5)
    assert len(rows) == 2
    for row in rows:
        assert row.lease_owner == "w"
        assert before + timedelta(seconds=89) < row.leased_until <= timezone.now() + timedelta(seconds=90)


def test_expired_lease_is_claimable_again_and_a_live_one_is_not():
    expired, live = make_messages(2)
    assert sorted(claim("worker-a")) == sorted([expired, live])
    OutboxMessage.objects.filter(pk=expired).update(leased_until=timezone.now() - timedelta(seconds=1))
    assert claim("worker-b") == [expired]
    assert OutboxMessage.objects.get(pk=expired).lease_owner == "worker-b"
    assert OutboxMessage.objects.get(pk=live).lease_owner == "worker-a"


def test_only_rows_of_the_queryset_are_claimed():
    pending, sent = make_messages(2)
    OutboxMessage.objects.filter(pk=sent).update(status=OutboxMessage.Status.SENT, sent_at=timezone.now())
    assert claim("w", queryset=OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING)) == [pending]


def test_nothing_to_claim_returns_an_empty_list():
    assert claim("w") == []


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_threads_claiming_concurrently_never_overlap():
    pks = set(make_messages(200))
    claimed: dict[str, list[int]] = {f"worker-{i}": [] for i in range(4)}
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def work(owner: str) -> None:
        try:
            start.wait()
            while batch := claim(owner, limit=7):
                claimed[owner].extend(batch)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(owner,)) for owner in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    everything = [pk for batch in claimed.values() for pk in batch]
    assert len(everything) == len(set(everything)) == 200
    assert set(everything) == pks
    owners = dict(OutboxMessage.objects.values_list("pk", "lease_owner"))
    assert all(owners[pk] == owner for owner, batch in claimed.items() for pk in batch)
