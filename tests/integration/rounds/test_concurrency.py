"""Simultaneous run requests and workers on one round, with real concurrent transactions (PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from kezek.domain.errors import DomainError
from kezek.placements.models import Offer
from kezek.rounds.models import Round, RoundRun
from kezek.rounds.services import round_run_execute, round_run_request, round_runs_claim
from tests.factories.applications import make_application
from tests.factories.rounds import announced_round

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _together(n: int, call) -> list:
    barrier = threading.Barrier(n)

    def attempt(i: int):
        try:
            barrier.wait(timeout=30)
            return call(i)
        except DomainError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(attempt, range(n)))


def test_many_run_requests_and_many_workers_make_exactly_one_run():
    round, (place,) = announced_round(places=2)
    for _ in range(3):
        make_application(preferences=[place.group.organisation])
    requests = _together(6, lambda i: round_run_request(officer=round.created_by, round=round, now=round.runs_at).pk)
    assert sorted(r for r in requests if isinstance(r, str)) == ["round_run_requested"] * 5

    def work(i: int) -> int:
        owner = f"worker-{i}"
        runs = round_runs_claim(owner=owner)
        for run in runs:
            round_run_execute(run=run, owner=owner)
        return len(runs)

    assert sorted(_together(4, work)) == [0, 0, 0, 1]
    assert RoundRun.objects.get(round=round).status == "done"
    assert Round.objects.get(pk=round.pk).status == "ran"
    assert Offer.objects.filter(round=round).count() == 2
