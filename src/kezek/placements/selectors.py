"""Reading offers, referrals and enrolments for the parent, the kindergarten, the officer and the public check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from kezek.accounts.models import Role
from kezek.accounts.permissions import district_scope, is_admin
from kezek.applications.models import Application
from kezek.applications.selectors.rules import queue_rules_for_district
from kezek.domain.deadlines import reactivation_until
from kezek.domain.placements import ReferralNotFound
from kezek.domain.queue import ApplicationStatus
from kezek.placements.models import Enrolment, Offer, Referral
from kezek.rounds.models import Round, RoundPlace
from kezek.rush.models import Opening, Pool


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _offers() -> QuerySet[Offer]:
    return Offer.objects.select_related("place__group__organisation", "application__child", "round")


def offers_for_user(*, user: Any, open_only: bool = False) -> list[Offer]:
    """The parent's own offers, newest first (open ones only if asked)."""
    if not _signed_in(user):
        return []
    queryset = _offers().filter(application__applicant_id=user.pk)
    if open_only:
        queryset = queryset.filter(status=Offer.Status.OPEN)
    return list(queryset.order_by("-offered_at", "-pk"))


def offer_get_for_user(*, user: Any, offer_id: int) -> Offer | None:
    """One of the parent's own offers, or None."""
    if not _signed_in(user):
        return None
    return _offers().filter(pk=offer_id, application__applicant_id=user.pk).first()


def _referrals() -> QuerySet[Referral]:
    return Referral.objects.select_related(
        "offer__place__group__organisation", "offer__application__child", "offer__application__district", "offer__round"
    )


def referrals_for_user(*, user: Any) -> list[Referral]:
    """The parent's own referrals, newest first."""
    if not _signed_in(user):
        return []
    return list(_referrals().filter(offer__application__applicant_id=user.pk).order_by("-issued_at", "-pk"))


def referral_get_for_user(*, user: Any, referral_id: int) -> Referral:
    """One of the parent's own referrals (another family's is 'not found')."""
    found = _referrals().filter(pk=referral_id, offer__application__applicant_id=user.pk).first() if _signed_in(user) else None
    if found is None:
        raise ReferralNotFound()
    return found


def referrals_for_organisation(*, user: Any) -> list[Referral]:
    """Referrals to the staff member's kindergarten that wait for a contract or were signed, newest first."""
    if not _signed_in(user) or user.role != Role.PROVIDER_STAFF or not user.organisation_id:
        return []
    return list(
        _referrals()
        .filter(offer__place__group__organisation_id=user.organisation_id,
                status__in=[Referral.Status.ISSUED, Referral.Status.CONTRACTED])
        .order_by("status", "contract_deadline", "pk")
    )


def referrals_for_officer(*, user: Any) -> list[Referral]:
    """Referrals waiting for a contract in the officer's district(s), nearest deadline first."""
    if not _signed_in(user) or not (is_admin(user) or user.role == Role.OFFICER):
        return []
    queryset = _referrals().filter(status=Referral.Status.ISSUED)
    scope = district_scope(user)
    if scope is not None:
        queryset = queryset.filter(offer__application__district_id__in=scope)
    return list(queryset.order_by("contract_deadline", "pk"))


def enrolments_for_user(*, user: Any) -> list[Enrolment]:
    """The parent's children's current kindergarten enrolments."""
    if not _signed_in(user):
        return []
    return list(
        Enrolment.objects.select_related("group__organisation", "child", "application")
        .filter(application__applicant_id=user.pk, status=Enrolment.Status.ACTIVE)
        .order_by("pk")
    )


def enrolment_get_for_user(*, user: Any, enrolment_id: int) -> Enrolment | None:
    """One of the parent's children's current enrolments, or None."""
    return next((e for e in enrolments_for_user(user=user) if e.pk == enrolment_id), None)


@dataclass(frozen=True)
class Reactivatable:
    application: Application
    until: Any


def reactivatable_for_user(*, user: Any) -> list[Reactivatable]:
    """The parent's inactive applications that can still be reactivated, with the window's end."""
    if not _signed_in(user):
        return []
    now = timezone.now()
    rows = []
    for application in Application.objects.select_related("child").filter(
        applicant_id=user.pk, status=Application.Status.INACTIVE, reactivations_used=0
    ):
        days = queue_rules_for_district(district_id=application.district_id).reactivation_days
        until = reactivation_until(application.status_changed_at, days)
        if now < until:
            rows.append(Reactivatable(application=application, until=until))
    return rows


@dataclass(frozen=True)
class ReferralCheck:
    """What the public check page may show: nothing about the child."""

    genuine: bool
    state: str = ""  # valid | expired | contracted | cancelled
    kindergarten: str = ""


def referral_check(*, token: str) -> ReferralCheck:
    """Whether a referral's QR token is genuine and the referral still valid (rule: no child data is shown)."""
    token = (token or "").strip()
    referral = (
        Referral.objects.select_related("offer__place__group__organisation").filter(check_token=token).first()
        if 16 <= len(token) <= 64
        else None
    )
    if referral is None:
        return ReferralCheck(genuine=False)
    state = {
        Referral.Status.CONTRACTED: "contracted",
        Referral.Status.EXPIRED: "expired",
        Referral.Status.CANCELLED: "cancelled",
    }.get(referral.status)
    if state is None:
        state = "valid" if timezone.now() < referral.contract_deadline else "expired"
    return ReferralCheck(genuine=True, state=state, kindergarten=referral.offer.place.group.organisation.name)


# --- open to all ----------------------------------------------------------------------------------------


def opening_slug(round: Round) -> str:
    """The rush opening of a round's free places (one per round; the round's code is unique)."""
    return f"round-{round.code}"


def pool_key(place: RoundPlace) -> str:
    return place.allocation_id


def holder_key(application: Application) -> str:
    """One free place per child, whatever account or application claims it."""
    return f"child:{application.child_id}:kindergarten"


def round_opening(round: Round) -> Opening | None:
    return Opening.objects.filter(slug=opening_slug(round)).first()


@dataclass(frozen=True)
class FreePlace:
    place: RoundPlace
    pool: Pool


def open_to_all_places(*, round: Round) -> list[FreePlace]:
    """The round's places with their open-to-all pools (remaining = capacity - taken), by kindergarten."""
    opening = round_opening(round)
    if opening is None:
        return []
    pools = {p.key: p for p in opening.pools.all()}
    places = RoundPlace.objects.filter(round=round).select_related("group__organisation").order_by("group__organisation__name", "pk")
    return [FreePlace(place=p, pool=pools[pool_key(p)]) for p in places if pool_key(p) in pools]


def open_to_all_for_user(*, user: Any) -> list[tuple[Round, Opening, list[Application]]]:
    """Announced open-to-all openings of the districts where the parent has applications waiting in the queue."""
    if not _signed_in(user):
        return []
    waiting = list(
        Application.objects.filter(applicant_id=user.pk, status=ApplicationStatus.ACTIVE).select_related("child").order_by("pk")
    )
    rows = []
    for round in Round.objects.filter(status__in=[Round.Status.RAN, Round.Status.OPEN_TO_ALL], district_id__in={a.district_id for a in waiting}).order_by("open_to_all_at", "pk"):
        opening = round_opening(round)
        if opening is not None:
            rows.append((round, opening, [a for a in waiting if a.district_id == round.district_id]))
    return rows
