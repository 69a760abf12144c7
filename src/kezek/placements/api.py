"""Offers and the referral check, mounted at /api/v1/offers and /api/v1/referrals.

Signed-in calls use the session cookie (and its CSRF token on unsafe methods), as in /api/v1/auth.
A repeated accept returns the same referral; a repeated decline the same offer.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router

from kezek.accounts.api import session_auth
from kezek.placements import selectors
from kezek.placements.models import Offer, Referral
from kezek.placements.schemas import OfferOut, ReferralCheckOut, ReferralOut
from kezek.placements.services import offers as offer_services

offers_router = Router(auth=session_auth)
referrals_router = Router()


def _offer_out(offer: Offer) -> dict[str, Any]:
    group = offer.place.group
    referral = getattr(offer, "referral", None) if offer.status == Offer.Status.ACCEPTED else None
    return {
        "id": offer.pk, "application_id": offer.application_id, "round_code": offer.round.code, "status": offer.status,
        "source": offer.source, "offered_at": offer.offered_at, "deadline": offer.deadline,
        "place": {
            "kindergarten_id": group.organisation_id, "kindergarten": group.organisation.name, "group_id": group.pk,
            "group": group.name, "frees_on": offer.place.frees_on,
        },
        "referral_id": referral.pk if referral else None,
    }


def _referral_out(request: HttpRequest, referral: Referral) -> dict[str, Any]:
    return {
        "id": referral.pk, "offer_id": referral.offer_id, "number": referral.number, "status": referral.status,
        "issued_at": referral.issued_at, "contract_deadline": referral.contract_deadline, "extended": referral.extended,
        "check_url": request.build_absolute_uri(reverse("placements:check", kwargs={"token": referral.check_token})),
        "pdf_url": request.build_absolute_uri(reverse("placements:referral-pdf", kwargs={"referral_id": referral.pk})),
    }


@offers_router.get("", response=list[OfferOut], summary="My offers, newest first")
def offers_mine(request: HttpRequest, open_only: bool = False):
    return [_offer_out(o) for o in selectors.offers_for_user(user=request.auth, open_only=open_only)]


@offers_router.post("/{int:offer_id}/accept", response=ReferralOut, summary="Accept an offer: returns the referral")
def offer_accept(request: HttpRequest, offer_id: int):
    referral = offer_services.offer_accept(user=request.auth, offer=offer_id)
    return _referral_out(request, referral)


@offers_router.post("/{int:offer_id}/decline", response=OfferOut, summary="Decline an offer: the place goes to the next child")
def offer_decline(request: HttpRequest, offer_id: int):
    offer_services.offer_decline(user=request.auth, offer=offer_id)
    return _offer_out(selectors.offer_get_for_user(user=request.auth, offer_id=offer_id))


@referrals_router.get("/check/{token}", response=ReferralCheckOut, summary="Public: is this referral genuine and valid?")
def referral_check(request: HttpRequest, token: str):
    result = selectors.referral_check(token=token)
    return {"genuine": result.genuine, "state": result.state, "kindergarten": result.kindergarten}
