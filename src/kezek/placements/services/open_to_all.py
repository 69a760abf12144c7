"""Open to all: a round's places still free when its offer phase ends, claimed first come first served.

The claim is the rush's (``kezek.rush``): one opening per round, announced as soon as the round has run,
opening at ``Round.open_to_all_at``, with one pool per round place sized at ``offers_close_at`` (places minus
taken; from then on no place passes on to the next child, a freed place goes to its pool instead). A claim
makes an accepted offer and its referral in the claim's transaction and takes the round place, so the pool
and the round place never disagree.

Lock order (as everywhere in placements): the round, the application, the offer, the referral, the round
place; the rush's pool row last.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from kezek.applications.models import Application
from kezek.audit.services import audit_record
from kezek.domain.errors import Conflict, Forbidden, NotFound, gettext_noop
from kezek.domain.queue import ApplicationStatus
from kezek.placements.models import Offer
from kezek.placements.services._common import application_set_status, lock_application
from kezek.placements.selectors import holder_key, opening_slug, pool_key, round_opening
from kezek.placements.services.offers import _deadline_for, offer_accept
from kezek.rounds.models import Round, RoundPlace
from kezek.rush.errors import SoldOut
from kezek.rush.models import Opening, Pool
from kezek.rush.services import ClaimOutcome, opening_create, pool_claim

# Rounds whose free places may be (or soon be) open to all.
LIVE = (Round.Status.RAN, Round.Status.OPEN_TO_ALL)


class OpenToAllNotOpen(Conflict):
    code = "open_to_all_not_open"
    message = gettext_noop("The free places of this round open to all at %(opens_at)s.")
    hint = gettext_noop("Come back at that time: the waiting room opens before it and admits everyone in a fair order.")


class OpenToAllPlaceNotFound(NotFound):
    code = "open_to_all_place_not_found"
    message = gettext_noop("There is no such free place in this round.")
    hint = gettext_noop("Reload the page to see the places still free.")


class OpenToAllNotEligible(Forbidden):
    code = "open_to_all_not_eligible"
    message = gettext_noop("This place is for children of age group %(age_group)s in the round's district.")
    hint = gettext_noop("Choose a place of your child's age group, or an application in this district.")


class OpenToAllApplicationNotActive(Conflict):
    code = "open_to_all_application_not_active"
    message = gettext_noop("Only an application waiting in the queue, without an offer, can claim a free place.")
    hint = gettext_noop("See your offers and referrals: your child may already have a place.")


# --- the worker's steps ---------------------------------------------------------------------------------


def open_to_all_announce(*, round: Round) -> Opening | None:
    """Announce the open-to-all moment as soon as the round has run (rule: announced ahead, one opening per round).

    Idempotent and safe with several workers: the round's row lock serialises them. Returns the new opening, or
    None when it already exists or the round is not live.
    """
    with transaction.atomic():
        locked = Round.objects.select_for_update().filter(pk=round.pk, status__in=LIVE).first()
        if locked is None or round_opening(locked) is not None:
            return None
        return opening_create(
            actor=None, slug=opening_slug(locked), title=locked.title, opens_at=locked.open_to_all_at, pools={},
            claim_url=reverse("placements:open-to-all", args=[locked.code]),
        )


def open_to_all_pools_create(*, round: Round, now: dt.datetime | None = None) -> int:
    """Size the pools when the offer phase ends (rule: the places still free, places - taken, per round place).

    From ``offers_close_at`` no place passes on (``place_pass_on``), so the sizes are final; a place freed later
    is added to its pool by ``open_to_all_place_freed``. Idempotent. Returns how many pools it created.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = Round.objects.select_for_update().filter(pk=round.pk, status__in=LIVE, offers_close_at__lte=now).first()
        opening = round_opening(locked) if locked is not None else None
        if opening is None or opening.pools.exists():
            return 0
        # Row locks on the places: a place freed concurrently is counted here or added to its pool there, never both.
        places = list(RoundPlace.objects.select_for_update().filter(round=locked).select_related("group__organisation"))
        Pool.objects.bulk_create(
            Pool(opening=opening, key=pool_key(p), title=f"{p.group.organisation.name}: {p.group.name}", capacity=p.places - p.taken)
            for p in places
        )
        sizes = {pool_key(p): p.places - p.taken for p in places}
        audit_record(actor=None, action="placements.open_to_all.pools", obj=locked, after={"opening": opening.slug, "pools": sizes})
        return len(places)


def open_to_all_place_freed(*, place: RoundPlace) -> bool:
    """A place freed after the offer phase goes to its open-to-all pool (rule: no pass-on after offers_close_at).

    Runs in the caller's transaction, after it gave the place back (``taken - 1``). Before the pools exist the
    freed place is counted when they are sized. Returns whether a pool grew.
    """
    opening = round_opening(place.round)
    if opening is None:
        return False
    return bool(Pool.objects.filter(opening=opening, key=pool_key(place)).update(capacity=F("capacity") + 1))


def open_to_all_due(*, now: dt.datetime | None = None) -> int:
    """The worker's sweep: announce openings, size pools at offers_close_at, open rounds at open_to_all_at."""
    from kezek.rounds.services import round_open_to_all

    now = now or timezone.now()
    done = 0
    for round in Round.objects.filter(status__in=LIVE).exclude(open_to_all_at=None).exclude(offers_close_at=None).order_by("pk"):
        done += open_to_all_announce(round=round) is not None
        if round.offers_close_at <= now:
            done += open_to_all_pools_create(round=round, now=now) > 0
        if round.status == Round.Status.RAN and round.open_to_all_at <= now:
            done += round_open_to_all(round=round, now=now) is not None
    return done


# --- the claim ----------------------------------------------------------------------------------------


def open_to_all_claim(
    *,
    user: Any,
    round: Round,
    place_id: int,
    application_id: int,
    idempotency_key: str,
    token: str | None,
    request_id: str = "",
    now: dt.datetime | None = None,
) -> ClaimOutcome:
    """Claim a free place for a child (rules: at the announced moment, first claim wins, one per child, idempotent).

    The application must be the user's, active without an open offer, in the round's district and of the
    place's age group. The result holds ``offer_id`` and ``referral_id``; a replay of the key returns it again.
    """
    now = now or timezone.now()
    place = RoundPlace.objects.filter(pk=place_id, round=round).select_related("round", "group__organisation").first()
    opening = round_opening(round)
    pool = Pool.objects.filter(opening=opening, key=pool_key(place)).first() if place and opening else None
    if round.status not in LIVE or round.open_to_all_at is None or now < round.open_to_all_at:
        raise OpenToAllNotOpen(opens_at=timezone.localtime(round.open_to_all_at).strftime("%d.%m.%Y %H:%M") if round.open_to_all_at else "-")
    if pool is None:
        raise OpenToAllPlaceNotFound()
    application = Application.objects.filter(pk=application_id, applicant_id=getattr(user, "pk", None)).first()
    if application is None:
        raise OpenToAllApplicationNotActive()

    def on_claim(claim: Any) -> dict[str, Any]:
        offer = _claim_offer(user=user, application_id=application.pk, place=place, now=now)
        referral = offer_accept(user=user, offer=offer, now=now)
        return {"offer_id": offer.pk, "referral_id": referral.pk, "application_id": application.pk, "place": pool_key(place)}

    return pool_claim(
        pool=pool, account=user, holder=holder_key(application), idempotency_key=idempotency_key, token=token,
        on_claim=on_claim, request_id=request_id, now=now.timestamp(),
    )


def _claim_offer(*, user: Any, application_id: int, place: RoundPlace, now: dt.datetime) -> Offer:
    """Inside the claim: check the application under its lock, offer it the place and take the round place."""
    application = lock_application(application_id)
    if application.district_id != place.round.district_id or application.age_group != place.age_group:
        raise OpenToAllNotEligible(age_group=place.age_group)
    if application.status != ApplicationStatus.ACTIVE or application.offers.filter(status=Offer.Status.OPEN).exists():
        raise OpenToAllApplicationNotActive()
    offer = Offer.objects.create(
        round_id=place.round_id, place=place, application=application, source=Offer.Source.OPEN_TO_ALL,
        offered_at=now, deadline=_deadline_for(place.round, now),
    )
    application_set_status(
        application=application, target=ApplicationStatus.OFFERED, actor=user, reason="open_to_all_claim", now=now,
        offer_id=offer.pk,
    )
    audit_record(
        actor=user, action="placements.offer.create", obj=offer,
        after={"application_id": application.pk, "place": place.allocation_id, "source": offer.source, "deadline": offer.deadline},
    )
    # Conditional, as the round's offers: the database never lets a round place go above its published places.
    if not RoundPlace.objects.filter(pk=place.pk, taken__lt=F("places")).update(taken=F("taken") + 1):
        raise SoldOut()
    return offer

