"""Open to all: a round's places still free after the offer phase, claimed through the rush (first claim wins)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone

import kezek.placements.tasks  # noqa: F401  (registers placements.open_to_all)
from kezek.applications.models import Application
from kezek.audit.models import AuditEvent
from kezek.core.worker import run_until_idle
from kezek.domain.errors import DomainError
from kezek.notifications.models import OutboxMessage
from kezek.placements.models import Offer, Referral
from kezek.placements.selectors import open_to_all_for_user, round_opening
from kezek.placements.services.offers import offers_expire_due
from kezek.placements.services.open_to_all import (
    OpenToAllApplicationNotActive,
    OpenToAllNotEligible,
    OpenToAllNotOpen,
    open_to_all_claim,
    open_to_all_due,
)
from kezek.rounds.models import Round, RoundPlace
from kezek.rush.errors import HolderHasClaim, SoldOut
from kezek.rush.models import Pool, PoolClaim
from tests.factories.applications import make_application
from tests.factories.geo import district
from tests.factories.placements import make_ran_round
from tests.factories.rush import admission_token

START = timezone.now() - dt.timedelta(days=60)


def waiting(n: int, **kwargs) -> list[Application]:
    """``n`` applications in the queue (no offer), in the default district and age group."""
    return [make_application(registered_at=START + dt.timedelta(days=10 + i), **kwargs) for i in range(n)]


def ran_round(*, places: int = 3, offered: int = 1, open_in: dt.timedelta = -dt.timedelta(minutes=1), close_in=None):
    """A round that offered ``offered`` of ``places`` places; its offer phase ended an hour ago (unless ``close_in``)."""
    applications = [make_application(registered_at=START + dt.timedelta(days=i)) for i in range(offered)]
    ran = make_ran_round(applications=applications, groups=[(None, places)])
    now = timezone.now()
    close = now + close_in if close_in is not None else now - dt.timedelta(hours=1)
    Round.objects.filter(pk=ran.round.pk).update(offers_close_at=close, open_to_all_at=max(close, now + open_in))
    ran.round.refresh_from_db()
    return ran


def token(round, user) -> str:
    return admission_token(round_opening(round), user, expires_at=time.time() + 600)


def claim(round, application, *, key: str = "key-1", place=None, user=None, now=None):
    user = user or application.applicant
    place = place or RoundPlace.objects.filter(round=round).first()
    return open_to_all_claim(
        user=user, round=round, place_id=place.pk, application_id=application.pk, idempotency_key=key,
        token=token(round, user), now=now,
    )


@pytest.mark.django_db
def test_the_worker_announces_the_opening_sizes_the_pools_at_offer_close_and_opens_the_round():
    ran = ran_round(places=3, offered=1, open_in=dt.timedelta(hours=2), close_in=dt.timedelta(hours=1))
    assert run_until_idle(["placements.open_to_all"]) == 1
    opening = round_opening(ran.round)
    # Announced as soon as the round ran, at the round's published moment, but no pool before the offer phase ends.
    assert opening.opens_at == ran.round.open_to_all_at and opening.claim_url == f"/kindergarten/open/{ran.round.code}/"
    assert not opening.pools.exists()

    later = timezone.now() + dt.timedelta(hours=1, minutes=1)
    assert open_to_all_due(now=later) == 1
    (pool,) = opening.pools.all()
    assert (pool.key, pool.capacity, pool.taken) == (ran.places[0].allocation_id, 2, 0)
    assert Round.objects.get(pk=ran.round.pk).status == "ran"
    assert open_to_all_due(now=later) == 0  # idempotent: nothing more to do until the moment

    assert open_to_all_due(now=later + dt.timedelta(hours=1)) == 1
    assert Round.objects.get(pk=ran.round.pk).status == "open_to_all"
    assert open_to_all_due(now=later + dt.timedelta(hours=1)) == 0
    assert Pool.objects.filter(opening=opening).count() == 1
    actions = set(AuditEvent.objects.filter(action__in=["rush.opening.create", "placements.open_to_all.pools", "round.open_to_all"]).values_list("action", flat=True))
    assert actions == {"rush.opening.create", "placements.open_to_all.pools", "round.open_to_all"}


@pytest.mark.django_db
def test_after_the_offer_phase_a_freed_place_goes_to_the_pool_not_to_the_next_child():
    ran = ran_round(places=2, offered=2)
    nxt = waiting(1)[0]
    open_to_all_due()
    pool = round_opening(ran.round).pools.get()
    assert pool.capacity == 0
    Offer.objects.filter(round=ran.round, application=ran.offers[0].application).update(deadline=timezone.now() - dt.timedelta(seconds=1))
    assert offers_expire_due() == 1
    assert not Offer.objects.filter(application=nxt).exists()
    assert RoundPlace.objects.get(pk=ran.places[0].pk).taken == 1
    pool.refresh_from_db()
    assert pool.capacity == 1


@pytest.mark.django_db
def test_a_claim_makes_an_accepted_offer_and_a_referral_and_takes_the_place():
    ran = ran_round(places=3, offered=1)
    (parent_app,) = waiting(1)
    run_until_idle(["placements.open_to_all"])
    outcome = claim(ran.round, parent_app)
    assert outcome.created
    offer = Offer.objects.get(pk=outcome.result["offer_id"])
    assert (offer.source, offer.status, offer.application_id) == ("open_to_all", "accepted", parent_app.pk)
    referral = Referral.objects.get(pk=outcome.result["referral_id"])
    assert referral.offer_id == offer.pk and referral.status == "issued"
    assert Application.objects.get(pk=parent_app.pk).status == "offered"
    assert RoundPlace.objects.get(pk=ran.places[0].pk).taken == 2
    assert round_opening(ran.round).pools.get().taken == 1
    assert PoolClaim.objects.get().holder == f"child:{parent_app.child_id}:kindergarten"
    assert OutboxMessage.objects.filter(idempotency_key=f"placements:offer:{offer.pk}:accepted").exists()
    assert AuditEvent.objects.filter(action="placements.offer.create", object_id=str(offer.pk)).exists()


@pytest.mark.django_db
def test_a_claim_before_the_moment_is_refused():
    ran = ran_round(places=2, offered=1, open_in=dt.timedelta(hours=1))
    (parent_app,) = waiting(1)
    open_to_all_due()
    with pytest.raises(OpenToAllNotOpen):
        claim(ran.round, parent_app)
    assert not PoolClaim.objects.exists()


@pytest.mark.django_db
def test_a_child_of_another_age_group_or_district_is_refused():
    ran = ran_round(places=2, offered=1)
    (older,) = waiting(1, age_group=2019)
    (elsewhere,) = waiting(1, district=district("astana-almaty"))
    open_to_all_due()
    for application in (older, elsewhere):
        with pytest.raises(OpenToAllNotEligible):
            claim(ran.round, application, key=f"k-{application.pk}")
    # A child who already holds an offer of the round is not waiting in the queue.
    with pytest.raises(OpenToAllApplicationNotActive):
        claim(ran.round, ran.offers[0].application, key="offered")
    assert not PoolClaim.objects.exists()
    assert RoundPlace.objects.get(pk=ran.places[0].pk).taken == 1


@pytest.mark.django_db
def test_a_child_claims_one_place_only_and_a_replay_returns_the_original():
    ran = make_ran_round(applications=[make_application(registered_at=START)], groups=[(None, 2), (None, 2)])
    Round.objects.filter(pk=ran.round.pk).update(
        offers_close_at=timezone.now() - dt.timedelta(hours=1), open_to_all_at=timezone.now() - dt.timedelta(minutes=1)
    )
    ran.round.refresh_from_db()
    (parent_app,) = waiting(1)
    open_to_all_due()
    first = claim(ran.round, parent_app, key="k1", place=ran.places[0])
    again = claim(ran.round, parent_app, key="k1", place=ran.places[0])
    assert (again.created, again.result, again.claim.pk) == (False, first.result, first.claim.pk)
    # One place per child in the opening, whichever pool: the rush's holder constraint refuses the second.
    with pytest.raises(HolderHasClaim):
        claim(ran.round, parent_app, key="k2", place=ran.places[1])
    assert Offer.objects.filter(application=parent_app).count() == 1
    assert [p.taken for p in RoundPlace.objects.filter(round=ran.round).order_by("pk")] == [2, 0]


@pytest.mark.django_db
def test_sold_out_is_a_clear_error_and_changes_nothing():
    ran = ran_round(places=2, offered=1)
    winner, loser = waiting(2)
    open_to_all_due()
    claim(ran.round, winner)
    with pytest.raises(SoldOut) as refused:
        claim(ran.round, loser, key="other")
    assert refused.value.code == "sold_out" and refused.value.kind == "conflict"
    assert Application.objects.get(pk=loser.pk).status == "active"
    assert not Offer.objects.filter(application=loser).exists()


@pytest.mark.django_db
def test_pages_the_cabinet_links_the_waiting_room_and_the_claim_page_leads_to_the_referral(client):
    ran = ran_round(places=2, offered=1)
    (parent_app,) = waiting(1)
    open_to_all_due()
    opening = round_opening(ran.round)
    user = parent_app.applicant
    client.force_login(user)
    assert [r for r, _, _ in open_to_all_for_user(user=user)] == [ran.round]
    cabinet = client.get("/kindergarten/offers/").content.decode()
    assert f"/rush/{opening.slug}/" in cabinet

    url = f"/kindergarten/open/{ran.round.code}/"
    page = client.get(url, {"rush_token": token(ran.round, user)})
    assert page.status_code == 200
    text = page.content.decode()
    assert ran.places[0].group.organisation.name in text and 'name="idempotency_key"' in text

    data = {"rush_token": token(ran.round, user), "idempotency_key": "page-key", "application": parent_app.pk, "place": ran.places[0].pk}
    response = client.post(url, data)
    referral = Referral.objects.get(offer__application=parent_app)
    assert response.status_code == 302 and response["Location"] == f"/kindergarten/referrals/{referral.pk}/"
    # A second click of the same form is the same claim: the same referral, not an error.
    assert client.post(url, data)["Location"] == response["Location"]
    # Bad input is a clear answer on the page, never a server error.
    bad = client.post(url, {**data, "idempotency_key": "", "place": "x"})
    assert bad.status_code in (404, 422)

    public = client.get(f"/rounds/{ran.round.code}/").content.decode()
    assert f"/kindergarten/open/{ran.round.code}/remaining/" in public
    remaining = client.get(f"/kindergarten/open/{ran.round.code}/remaining/").content.decode()
    assert ran.places[0].group.name in remaining and "<td>0</td>" in remaining


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_50_concurrent_claims_for_5_places_take_exactly_5():
    ran = ran_round(places=6, offered=1)
    applications = waiting(50)
    open_to_all_due()
    calls = [(a, f"key-{i}", token(ran.round, a.applicant)) for i, a in enumerate(applications)]
    place = ran.places[0]
    threads = 25
    barrier = threading.Barrier(threads)

    def one(application, key, pass_):
        for _ in range(100):
            try:
                open_to_all_claim(user=application.applicant, round=ran.round, place_id=place.pk,
                                  application_id=application.pk, idempotency_key=key, token=pass_)
                return "ok"
            except DomainError as exc:
                if exc.code != "rush_busy":
                    return exc.code
        return "gave_up"

    def worker(chunk):
        try:
            barrier.wait(timeout=60)
            return [one(*call) for call in chunk]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = [r for chunk in pool.map(worker, [calls[i::threads] for i in range(threads)]) for r in chunk]
    assert results.count("ok") == 5
    assert results.count("sold_out") == 45
    assert RoundPlace.objects.get(pk=place.pk).taken == 6
    assert round_opening(ran.round).pools.get().taken == 5
    assert Offer.objects.filter(round=ran.round, source="open_to_all", status="accepted").count() == 5
    assert Referral.objects.filter(offer__source="open_to_all").count() == 5
