"""Offers: made by a round, answered by the parent, expired by the worker, and passed on to the next child."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from kezek.accounts.permissions import require_district
from kezek.applications.models import Application, ApplicationEvent
from kezek.applications.selectors.rules import queue_rules_for_district
from kezek.applications.services.queue_keys import applications_queue_status_sync
from kezek.audit.services import audit_record
from kezek.domain.allocation import group_order, parse_allocation_input
from kezek.domain.deadlines import contract_deadline, offer_deadline
from kezek.domain.errors import Conflict, InvalidInput, gettext_noop
from kezek.domain.placements import (
    PASS_ON_STATUSES,
    OfferClosed,
    OfferDeadlinePassed,
    OfferNotFound,
    ReferralStatus,
    check_offer_transition,
    next_in_line,
    referral_number,
)
from kezek.domain.queue import ApplicationStatus, check_transition
from kezek.notifications.services import notification_enqueue_many
from kezek.placements.models import Offer, Referral, ReferralSequence
from kezek.placements.services._common import (
    application_set_status,
    local_tz,
    lock_application,
    notification,
    notify,
    shown_deadline,
)
from kezek.placements.selectors import pool_key, round_opening
from kezek.rounds.models import Round, RoundPlace, RoundRun
from kezek.rush.models import Pool

CHUNK = 500  # rows per IN (...) list: well under SQLite's bound-parameter limit
EXPIRE_BATCH = 100


class UnknownPlace(InvalidInput):
    code = "unknown_round_place"
    message = gettext_noop("The assignment names %(place)s, which is not a place of this round.")


class PlaceOversold(Conflict):
    code = "round_place_oversold"
    message = gettext_noop("More children were assigned to %(place)s than it has free places.")
    hint = gettext_noop("The round's result does not fit its published places; nothing was offered.")


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _offer_context(offer: Offer) -> dict[str, Any]:
    group = offer.place.group
    return {
        "kindergarten": group.organisation.name,
        "group": group.name,
        "answer_by": shown_deadline(offer.deadline),
    }


def _deadline_for(round: Round, now: dt.datetime) -> dt.datetime:
    rules = queue_rules_for_district(district_id=round.district_id)
    return offer_deadline(now, rules.offer_deadline_unit, rules.offer_deadline_value, local_tz())


# --- making offers ------------------------------------------------------------------------------------


def offers_create_for_round(
    *, round: Round, assignments: dict[str, str | None], now: dt.datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Offer each assigned child their place (rule: an offer per placement, with the region's deadline; no oversell).

    Runs inside the caller's transaction (the round's run): a failure changes nothing. ``assignments`` maps
    an applicant's public id to a place's allocation id (``p<pk>``) or None. Applications no longer in the
    queue (withdrawn since the input was built) are skipped and their places stay free.
    Returns how many offers were made; ``progress(done, total)`` is called after each chunk.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("offers_create_for_round must run inside the round's transaction")
    now = now or timezone.now()
    places = {p.allocation_id: p for p in RoundPlace.objects.filter(round=round).select_related("group__organisation")}
    wanted = {public_id: place_id for public_id, place_id in assignments.items() if place_id is not None}
    for place_id in set(wanted.values()) - places.keys():
        raise UnknownPlace(place=place_id)
    deadline = _deadline_for(round, now)
    check_transition(ApplicationStatus.ACTIVE, ApplicationStatus.OFFERED)  # the bulk UPDATE below moves only active ones
    made: Counter[str] = Counter()
    skipped: list[str] = []
    for chunk in _chunks(sorted(wanted)):
        applications = list(
            Application.objects.select_for_update(of=("self",))
            .select_related("applicant")
            .filter(public_id__in=chunk, district_id=round.district_id, status=ApplicationStatus.ACTIVE)
        )
        found = {a.public_id for a in applications}
        skipped.extend(p for p in chunk if p not in found)
        offers = Offer.objects.bulk_create(
            Offer(
                round=round, place=places[wanted[a.public_id]], application=a, offered_at=now, deadline=deadline,
                source=Offer.Source.TRANSFER if a.transfer_of_id else Offer.Source.ALLOCATION,
            )
            for a in applications
        )
        ids = [a.pk for a in applications]
        Application.objects.filter(pk__in=ids).update(status=ApplicationStatus.OFFERED, status_changed_at=now, updated_at=now)
        applications_queue_status_sync(application_ids=ids, status=ApplicationStatus.OFFERED)
        ApplicationEvent.objects.bulk_create(
            ApplicationEvent(
                application=offer.application, kind=ApplicationEvent.Kind.STATUS_CHANGED, occurred_at=now,
                details={"from": "active", "to": "offered", "reason": "offer_made", "offer_id": offer.pk},
            )
            for offer in offers
        )
        for offer in offers:
            made[offer.place.allocation_id] += 1
        notification_enqueue_many(
            [
                notification(offer.application, template="placements_offer_made", key=f"offer:{offer.pk}:made", **_offer_context(offer))
                for offer in offers
            ]
        )
        if progress:
            progress(sum(made.values()) + len(skipped), len(wanted))
    for place_id, count in sorted(made.items()):
        place = places[place_id]
        # Conditional: the database refuses to take more than the published places, whatever the result says.
        if not RoundPlace.objects.filter(pk=place.pk, taken__lte=F("places") - count).update(taken=F("taken") + count):
            raise PlaceOversold(place=place_id)
    audit_record(
        actor=None, action="placements.offers.create_for_round", obj=round,
        after={"offers": sum(made.values()), "by_place": dict(sorted(made.items())), "skipped": skipped, "deadline": deadline},
    )
    return sum(made.values())


def _offer_one(*, application: Application, place: RoundPlace, source: str, now: dt.datetime) -> Offer:
    """Offer ``place`` to one locked, active application."""
    offer = Offer.objects.create(
        round_id=place.round_id, place=place, application=application, source=source,
        offered_at=now, deadline=_deadline_for(place.round, now),
    )
    application_set_status(
        application=application, target=ApplicationStatus.OFFERED, actor=None, reason="offer_made", now=now, offer_id=offer.pk
    )
    audit_record(
        actor=None, action="placements.offer.create", obj=offer,
        after={"application_id": application.pk, "place": place.allocation_id, "source": source, "deadline": offer.deadline},
    )
    notify(application, template="placements_offer_made", key=f"offer:{offer.pk}:made", **_offer_context(offer))
    return offer


# --- passing a place on -------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _stored_order(run_id: int, input_sha256: str, place_id: str) -> tuple[str, ...]:
    # A run's input never changes once stored (its SHA-256 is published), so the order derived from it is a
    # pure function of (run, digest, place): caching it is not application state and survives no restart.
    text = RoundRun.objects.filter(pk=run_id).values_list("input_json", flat=True).get()
    return tuple(group_order(parse_allocation_input(json.loads(text)), place_id))


def _passable(offer: Offer) -> bool:
    if offer.passed_on:
        return False
    if offer.status in PASS_ON_STATUSES:
        return True
    referral = Referral.objects.filter(offer=offer).only("status").first()
    return offer.status == Offer.Status.ACCEPTED and referral is not None and referral.status == ReferralStatus.EXPIRED


def _next_application(place: RoundPlace) -> Application | None:
    run = RoundRun.objects.filter(round_id=place.round_id).only("pk", "input_sha256").first()
    if run is None:
        return None
    order = list(_stored_order(run.pk, run.input_sha256, place.allocation_id))
    # A child already offered this place (and who declined or let it lapse) is not offered it again.
    offered_here = set(Offer.objects.filter(place=place).values_list("application_id", flat=True))
    for chunk in _chunks(order):
        while True:
            eligible = {
                public_id
                for pk, public_id in Application.objects.filter(
                    public_id__in=chunk, district_id=place.round.district_id, status=ApplicationStatus.ACTIVE
                )
                .exclude(offers__status=Offer.Status.OPEN)
                .values_list("pk", "public_id")
                if pk not in offered_here
            }
            public_id = next_in_line(chunk, eligible)
            if public_id is None:
                break
            candidate = Application.objects.filter(public_id=public_id).values_list("pk", flat=True).get()
            application = lock_application(candidate)
            # Re-checked under the lock: the parent may have withdrawn, or another offer landed meanwhile.
            if application.status == ApplicationStatus.ACTIVE and not application.offers.filter(status=Offer.Status.OPEN).exists():
                return application
            offered_here.add(candidate)
    return None


def place_pass_on(*, offer: Offer, now: dt.datetime | None = None) -> Offer | None:
    """Give the place of a declined or expired offer (or lapsed referral) to the next child (rule: same policy, stored order).

    The next child is the first in ``group_order`` of the round's stored input who is still in the queue and
    holds no open offer; none left, or the offer phase over (``offers_close_at``): the place stays free for
    the open-to-all phase (its pool grows if already sized). Idempotent: an offer
    passes its place on once (``passed_on``), so a second worker or a retry does nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = Offer.objects.select_for_update(of=("self",)).select_related("place__round").filter(pk=offer.pk).first()
        if locked is None or not _passable(locked):
            return None
        place = locked.place
        # After the offer phase no place passes on: it waits for (or joins) the open-to-all pool.
        offers_closed = place.round.offers_close_at is not None and now >= place.round.offers_close_at
        application = None if offers_closed else _next_application(place)
        new_offer = None
        if application is not None:
            new_offer = _offer_one(application=application, place=place, source=Offer.Source.NEXT_IN_LINE, now=now)
        else:
            RoundPlace.objects.filter(pk=place.pk, taken__gt=0).update(taken=F("taken") - 1)
            if offers_closed:
                from kezek.placements.services.open_to_all import open_to_all_place_freed

                open_to_all_place_freed(place=place)
        locked.passed_on = True
        locked.save(update_fields=["passed_on"])
        offer.passed_on = True
        audit_record(
            actor=None, action="placements.place.pass_on", obj=place,
            after={"from_offer": locked.pk, "to_offer": new_offer.pk if new_offer else None, "freed": new_offer is None},
        )
    return new_offer


def offers_pass_on_due(*, limit: int = EXPIRE_BATCH) -> int:
    """Sweep: ended offers whose place has not gone on yet go on now (rule: the worker passes places on, durably).

    Declines and expiries pass the place on in their own transaction; this catches any that did not.
    """
    due = list(
        Offer.objects.filter(status__in=sorted(PASS_ON_STATUSES), passed_on=False).order_by("pk").values_list("pk", flat=True)[:limit]
    )
    for offer_id in due:
        place_pass_on(offer=Offer(pk=offer_id))
    return Offer.objects.filter(pk__in=due, passed_on=True).count()


# --- the parent's answer ------------------------------------------------------------------------------


def _pk(value: Any) -> int:
    return value.pk if isinstance(value, Offer) else int(value)


def _lock_offer_for(user: Any, offer: Offer | int) -> tuple[Application, Offer]:
    offer_id = _pk(offer)
    application_id = Offer.objects.filter(pk=offer_id).values_list("application_id", flat=True).first()
    if application_id is None:
        raise OfferNotFound()
    application = lock_application(application_id)
    if not getattr(user, "is_authenticated", False) or application.applicant_id != user.pk:
        # Another person's offer is answered as a missing one, so that offer ids disclose nothing.
        raise OfferNotFound()
    locked = (
        Offer.objects.select_for_update(of=("self",)).select_related("place__group__organisation", "round").get(pk=offer_id)
    )
    return application, locked


def _require_answerable(offer: Offer, now: dt.datetime) -> None:
    if offer.status != Offer.Status.OPEN:
        raise OfferClosed()
    if now >= offer.deadline:
        raise OfferDeadlinePassed(deadline=shown_deadline(offer.deadline))


def _next_referral_number(*, district: Any, year: int) -> str:
    sequence = ReferralSequence.objects.select_for_update().filter(district=district, year=year).first()
    if sequence is None:
        ReferralSequence.objects.bulk_create([ReferralSequence(district=district, year=year)], ignore_conflicts=True)
        sequence = ReferralSequence.objects.select_for_update().get(district=district, year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return referral_number(district_code=district.code, year=year, seq=sequence.last)


def offer_accept(*, user: Any, offer: Offer | int, now: dt.datetime | None = None) -> Referral:
    """The applicant accepts before the deadline (rule: only the applicant; the offer becomes a referral).

    A repeated accept returns the same referral. The application stays ``offered`` until the contract is signed.
    """
    now = now or timezone.now()
    with transaction.atomic():
        application, offer = _lock_offer_for(user, offer)
        if offer.status == Offer.Status.ACCEPTED:
            return offer.referral
        _require_answerable(offer, now)
        check_offer_transition(offer.status, Offer.Status.ACCEPTED)
        offer.status = Offer.Status.ACCEPTED
        offer.decided_at = now
        offer.save(update_fields=["status", "decided_at"])
        rules = queue_rules_for_district(district_id=application.district_id)
        referral = Referral.objects.create(
            offer=offer,
            number=_next_referral_number(district=application.district, year=timezone.localtime(now, local_tz()).year),
            issued_at=now,
            contract_deadline=contract_deadline(now, rules.contract_working_days, local_tz()),
        )
        audit_record(
            actor=user, action="placements.offer.accept", obj=offer, before={"status": "open"},
            after={"status": "accepted", "referral_id": referral.pk, "number": referral.number,
                   "contract_deadline": referral.contract_deadline},
        )
        notify(
            application, template="placements_referral_issued", key=f"offer:{offer.pk}:accepted",
            number=referral.number, kindergarten=offer.place.group.organisation.name,
            contract_by=shown_deadline(referral.contract_deadline),
        )
    return referral


def offer_decline(*, user: Any, offer: Offer | int, now: dt.datetime | None = None) -> Offer:
    """The applicant declines before the deadline (rule: back in the queue with the same registration time; the place goes on)."""
    now = now or timezone.now()
    with transaction.atomic():
        application, offer = _lock_offer_for(user, offer)
        if offer.status == Offer.Status.DECLINED:
            return offer
        _require_answerable(offer, now)
        check_offer_transition(offer.status, Offer.Status.DECLINED)
        offer.status = Offer.Status.DECLINED
        offer.decided_at = now
        offer.save(update_fields=["status", "decided_at"])
        application_set_status(
            application=application, target=ApplicationStatus.ACTIVE, actor=user, reason="offer_declined", now=now,
            offer_id=offer.pk,
        )
        audit_record(actor=user, action="placements.offer.decline", obj=offer, before={"status": "open"}, after={"status": "declined"})
        place_pass_on(offer=offer, now=now)
    return offer


# --- the deadline -------------------------------------------------------------------------------------


def _expire_one(offer_id: int, application_id: int, now: dt.datetime) -> bool:
    with transaction.atomic():
        # Another worker holding this application is already on it: skip rather than wait.
        application = lock_application(application_id, skip_locked=True)
        if application is None:
            return False
        offer = (
            Offer.objects.select_for_update(of=("self",)).select_related("place__group__organisation")
            .filter(pk=offer_id, application=application, status=Offer.Status.OPEN, deadline__lte=now).first()
        )
        if offer is None:  # answered, or already expired by another worker, since the scan
            return False
        check_offer_transition(offer.status, Offer.Status.EXPIRED)
        offer.status = Offer.Status.EXPIRED
        offer.save(update_fields=["status"])
        application_set_status(
            application=application, target=ApplicationStatus.INACTIVE, actor=None, reason="offer_expired", now=now,
            offer_id=offer.pk,
        )
        audit_record(actor=None, action="placements.offer.expire", obj=offer, before={"status": "open"}, after={"status": "expired"})
        rules = queue_rules_for_district(district_id=application.district_id)
        notify(
            application, template="placements_offer_expired", key=f"offer:{offer.pk}:expired",
            kindergarten=offer.place.group.organisation.name, reactivation_days=rules.reactivation_days,
        )
        place_pass_on(offer=offer, now=now)
    return True


def offers_expire_due(*, now: dt.datetime | None = None, limit: int = EXPIRE_BATCH) -> int:
    """Open offers past their deadline expire (rule: the application becomes inactive, the parent is told, the place goes on).

    Safe with several workers: each offer is re-checked under its application's row lock (skipped when
    another worker holds it). Handles at most ``limit`` offers per call; returns how many it expired.
    """
    now = now or timezone.now()
    due = list(
        Offer.objects.filter(status=Offer.Status.OPEN, deadline__lte=now)
        .order_by("deadline", "pk")
        .values_list("pk", "application_id")[:limit]
    )
    return sum(_expire_one(offer_id, application_id, now) for offer_id, application_id in due)


# --- reopening after a decided wrong ------------------------------------------------------------------


def _take_place_back(place: RoundPlace) -> bool:
    """Hold ``place`` again if it is still free: in its open-to-all pool when that exists, and in the round place."""
    opening = round_opening(place.round)
    pool = Pool.objects.filter(opening=opening, key=pool_key(place)).first() if opening is not None else None
    if pool is not None and not Pool.objects.filter(pk=pool.pk, capacity__gt=F("taken")).update(capacity=F("capacity") - 1):
        return False
    # Conditional, as every offer: a reopened offer never takes a place beyond the published places.
    return bool(RoundPlace.objects.filter(pk=place.pk, taken__lt=F("places")).update(taken=F("taken") + 1))


def offer_reopen(*, actor: Any, offer: Offer | int, reason: str, now: dt.datetime | None = None) -> Offer | None:
    """Offer an expired offer's place again with a fresh deadline (rule: an appeal or incident remedy; never beyond capacity).

    An officer of the district (or an administrator) acts. The application must be inactive or active without
    an open offer; it is put back in the queue first. Returns the new open offer, or None when the place is
    no longer free: the application then keeps its queue position (active, original registration time).
    """
    now = now or timezone.now()
    with transaction.atomic():
        offer_id = _pk(offer)
        application_id = Offer.objects.filter(pk=offer_id).values_list("application_id", flat=True).first()
        if application_id is None:
            raise OfferNotFound()
        application = lock_application(application_id)
        require_district(actor, application.district_id)
        locked = Offer.objects.select_for_update(of=("self",)).select_related("place__round", "place__group__organisation").get(pk=offer_id)
        if locked.status != Offer.Status.EXPIRED:
            raise OfferClosed()
        if application.status not in (ApplicationStatus.INACTIVE, ApplicationStatus.ACTIVE) or application.offers.filter(
            status=Offer.Status.OPEN
        ).exists():
            raise OfferClosed()
        if application.status == ApplicationStatus.INACTIVE:
            application_set_status(
                application=application, target=ApplicationStatus.ACTIVE, actor=actor, reason="restored", now=now,
                offer_id=locked.pk, note=reason,
            )
        place = RoundPlace.objects.select_for_update().select_related("round").get(pk=locked.place_id)
        if not _take_place_back(place):
            audit_record(
                actor=actor, action="placements.offer.reopen", obj=locked,
                after={"reopened": False, "no_place_free": True, "reason": reason, "application_id": application.pk},
            )
            return None
        new_offer = _offer_one(application=application, place=place, source=locked.source, now=now)
        audit_record(
            actor=actor, action="placements.offer.reopen", obj=locked,
            after={"reopened": True, "new_offer_id": new_offer.pk, "deadline": new_offer.deadline, "reason": reason},
        )
    return new_offer
