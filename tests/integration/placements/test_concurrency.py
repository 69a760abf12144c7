"""No oversell of a round's places and no double pass-on when runs and workers race (PostgreSQL row locks)."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from kezek.domain.errors import DomainError
from kezek.placements.models import Offer
from kezek.placements.services.offers import offers_create_for_round, offers_expire_due
from kezek.rounds.models import RoundPlace
from tests.factories.applications import make_application
from tests.factories.placements import make_ran_round, make_round

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def run_together(calls):
    barrier = threading.Barrier(len(calls))

    def attempt(call):
        try:
            barrier.wait(timeout=30)
            return call()
        except DomainError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(attempt, calls))


def test_two_offer_runs_on_one_place_never_oversell():
    apps = [make_application(registered_at=timezone.now() - dt.timedelta(days=i + 1)) for i in range(4)]
    ran = make_ran_round(applications=[])
    the_round = make_round(district=apps[0].district)
    place = RoundPlace.objects.create(round=the_round, group=ran.places[0].group, age_group=apps[0].age_group, places=3,
                                      frees_on=timezone.localdate())

    def offer(pair):
        def call():
            with transaction.atomic():
                return offers_create_for_round(round=the_round, assignments={a.public_id: place.allocation_id for a in pair})
        return call

    results = run_together([offer(apps[:2]), offer(apps[2:])])
    assert sorted(results, key=str) == [2, "round_place_oversold"]
    assert RoundPlace.objects.get(pk=place.pk).taken == 2
    assert Offer.objects.filter(place=place).count() == 2


def test_parallel_workers_expire_and_pass_on_each_offer_once():
    apps = [make_application(registered_at=timezone.now() - dt.timedelta(days=40 - i)) for i in range(24)]
    ran = make_ran_round(applications=apps, groups=[(None, 2) for _ in range(4)], now=timezone.now() - dt.timedelta(days=10))
    assert len(ran.offers) == 8
    results = run_together([offers_expire_due, offers_expire_due, offers_expire_due])
    assert sum(results) == 8
    for place in RoundPlace.objects.filter(round=ran.round):
        assert place.taken <= place.places
        assert Offer.objects.filter(place=place, status="open").count() <= place.places
    # Every expired offer passed its place on exactly once: one fresh offer each.
    expired = Offer.objects.filter(round=ran.round, status="expired")
    assert expired.count() == 8 and not expired.filter(passed_on=False).exists()
    assert Offer.objects.filter(round=ran.round, source="next_in_line").count() == 8
    assert not Offer.objects.values("application").annotate(n=Count("pk")).filter(n__gt=1).exists()
