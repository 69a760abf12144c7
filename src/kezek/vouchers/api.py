"""Club voucher API, mounted at /api/v1/vouchers: the catalogue and campaigns (public), claims, applications,
placements and decisions (signed in; session cookie with the CSRF token, as the sign-in API describes).

``POST /campaigns/{id}/stages/{n}/claim`` needs the waiting room's pass (``X-Rush-Token``) and an
``Idempotency-Key``: a retry with the same key answers the same voucher (200 instead of 201).
"""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from kezek.accounts.api import session_auth
from kezek.geo.models import District, Region
from kezek.rush.web import request_guard, token_from_request
from kezek.privacy.masking import iin_for_viewer
from kezek.vouchers import errors, selectors
from kezek.vouchers.models import Voucher, VoucherApplication, VoucherCampaign
from kezek.vouchers.schemas import (
    VoucherApplicationOut,
    CampaignChangeIn,
    CampaignIn,
    CampaignOut,
    ChildIn,
    PlaceIn,
    ReasonIn,
    SectionOut,
    VoucherOut,
)
from kezek.vouchers.services import campaigns, issuing, placement

router = Router()

_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,100}")


def _key(request: HttpRequest) -> str:
    key = request.headers.get("Idempotency-Key") or ""
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise errors.InvalidIdempotencyKey()
    return key


def section_out(section: Any) -> dict[str, Any]:
    organisation = section.organisation
    return {
        "id": section.pk, "name": section.name, "kind": section.kind, "provider_id": organisation.pk,
        "provider": organisation.name, "ownership": organisation.ownership, "district_id": organisation.district_id,
        "address": section.address or organisation.address, "language": section.language,
        "age_min_months": section.age_min_months, "age_max_months": section.age_max_months, "schedule": section.schedule,
        "monthly_price": section.monthly_price, "capacity": section.capacity, "free_places": section.capacity - section.enrolled,
    }


def campaign_out(campaign: VoucherCampaign) -> dict[str, Any]:
    stages = selectors.campaign_stages(campaign=campaign)
    return {
        **{f: getattr(campaign, f) for f in (
            "id", "title", "region_id", "district_id", "period_start", "period_end", "kind", "policy", "status", "quota",
            "monthly_value", "min_age", "max_age", "use_priority_classes", "applications_close_at", "announced_at",
            "seed_commitment")},
        "seed_hex": campaign.seed_hex if campaign.seed_revealed else "",
        "remaining": selectors.campaign_remaining(campaign=campaign),
        "stages": [
            {"number": s.stage.number, "opens_at": s.stage.opens_at, "share": s.stage.share, "is_open": s.is_open,
             "remaining": s.remaining, "waiting_room": s.stage.opening.slug if s.stage.opening_id else None}
            for s in stages
        ],
        "changes": [
            {"created_at": c.created_at, "summary": c.summary, "reason": c.reason, "before": c.before, "after": c.after}
            for c in campaign.changes.order_by("created_at", "pk")
        ],
    }


def voucher_out(voucher: Voucher, viewer: Any = None) -> dict[str, Any]:
    # The holder sees their child's IIN whole; a provider accepting or declining sees it masked (docs/privacy.md).
    own = viewer is not None and voucher.holder_id == getattr(viewer, "pk", None)
    return {
        "id": voucher.pk, "number": voucher.number, "campaign_id": voucher.campaign_id, "kind": voucher.kind,
        "status": voucher.status, "child_iin": iin_for_viewer(iin=voucher.child.iin, viewer=viewer, own=own),
        "child_name": voucher.child.full_name,
        "section_id": voucher.section_id, "issued_at": voucher.issued_at,
    }


def application_out(application: VoucherApplication) -> dict[str, Any]:
    return {
        "id": application.pk, "public_id": application.public_id, "campaign_id": application.campaign_id,
        "child_iin": application.child.iin, "status": application.status, "priority_class": application.priority_class,
        "registered_at": application.registered_at, "lottery_number": application.lottery_number,
        "position": selectors.application_position(application=application),
    }


# --- public -----------------------------------------------------------------------------------------


class SectionFilter(Schema):
    district_id: int | None = None
    kind: str | None = None
    age: int | None = None
    language: str | None = None
    free: bool = False
    limit: int = 50
    offset: int = 0


@router.get("/sections", response=list[SectionOut], summary="The club catalogue (approved sections)")
def sections(request: HttpRequest, filters: Query[SectionFilter]):
    found = selectors.catalogue_sections(
        district_id=filters.district_id, kind=filters.kind, age_years=filters.age, language=filters.language,
        free_only=filters.free,
    )
    offset, limit = max(0, filters.offset), min(max(1, filters.limit), 200)
    return [section_out(s) for s in found[offset:offset + limit]]


@router.get("/campaigns", response=list[CampaignOut], summary="Announced campaigns")
def campaign_list(request: HttpRequest):
    return [campaign_out(c) for c in selectors.campaign_public_list()[:100]]


@router.get("/campaigns/{int:campaign_id}", response=CampaignOut, summary="A campaign: quota, stages, changes, vouchers left")
def campaign_detail(request: HttpRequest, campaign_id: int):
    return campaign_out(selectors.campaign_public_get(campaign_id=campaign_id))


# --- parents ----------------------------------------------------------------------------------------


@router.post("/campaigns/{int:campaign_id}/stages/{int:stage_number}/claim", auth=session_auth,
             response={200: VoucherOut, 201: VoucherOut}, summary="Claim a first-come voucher with the waiting room's pass")
def claim(request: HttpRequest, campaign_id: int, stage_number: int, payload: ChildIn):
    """201 with the new voucher; 200 with the same voucher for a replayed Idempotency-Key; 503 with Retry-After when busy."""
    request_guard(request)
    result = issuing.voucher_claim(
        actor=request.auth, campaign_id=campaign_id, stage_number=stage_number, child_iin=payload.child_iin,
        idempotency_key=_key(request), token=token_from_request(request), request_id=getattr(request, "request_id", ""),
    )
    return Status(201 if result.created else 200, voucher_out(result.voucher, request.auth))


@router.post("/campaigns/{int:campaign_id}/apply", auth=session_auth, response={200: VoucherApplicationOut, 201: VoucherApplicationOut},
             summary="Apply for a lottery or queue voucher")
def apply(request: HttpRequest, campaign_id: int, payload: ChildIn):
    result = issuing.voucher_apply(actor=request.auth, campaign_id=campaign_id, child_iin=payload.child_iin,
                                   idempotency_key=_key(request))
    return Status(201 if result.created else 200, application_out(result.application))


@router.get("/mine", auth=session_auth, response=list[VoucherOut], summary="Your children's vouchers")
def mine(request: HttpRequest):
    return [voucher_out(v, request.auth) for v in selectors.vouchers_for_holder(user=request.auth)]


@router.get("/applications", auth=session_auth, response=list[VoucherApplicationOut], summary="Your applications and positions")
def my_applications(request: HttpRequest):
    return [application_out(a) for a in selectors.applications_for_user(user=request.auth)]


@router.post("/{int:voucher_id}/place", auth=session_auth, response=VoucherOut,
             summary="Choose a section, or move the voucher to another one")
def place(request: HttpRequest, voucher_id: int, payload: PlaceIn):
    return voucher_out(placement.voucher_place(actor=request.auth, voucher_id=voucher_id, section_id=payload.section_id,
                                               accept_agreement=payload.accept_agreement), request.auth)


@router.post("/{int:voucher_id}/release", auth=session_auth, response=VoucherOut, summary="Give the voucher back")
def release(request: HttpRequest, voucher_id: int, payload: ReasonIn | None = None):
    return voucher_out(placement.voucher_release(actor=request.auth, voucher_id=voucher_id,
                                                 reason=payload.reason if payload else ""), request.auth)


# --- providers and officers ---------------------------------------------------------------------------


@router.post("/{int:voucher_id}/accept", auth=session_auth, response=VoucherOut, summary="Provider: accept and sign")
def accept(request: HttpRequest, voucher_id: int):
    return voucher_out(placement.voucher_accept(actor=request.auth, voucher_id=voucher_id), request.auth)


@router.post("/{int:voucher_id}/decline", auth=session_auth, response=VoucherOut, summary="Provider: decline with a reason")
def decline(request: HttpRequest, voucher_id: int, payload: ReasonIn):
    return voucher_out(placement.voucher_decline(actor=request.auth, voucher_id=voucher_id, reason=payload.reason), request.auth)


@router.post("/{int:voucher_id}/cancel", auth=session_auth, response=VoucherOut, summary="Officer: cancel with a reason")
def cancel(request: HttpRequest, voucher_id: int, payload: ReasonIn):
    return voucher_out(placement.voucher_cancel(actor=request.auth, voucher_id=voucher_id, reason=payload.reason), request.auth)


@router.post("/campaigns", auth=session_auth, response={201: CampaignOut}, summary="Officer: create a draft campaign")
def campaign_create(request: HttpRequest, payload: CampaignIn):
    region = Region.objects.filter(pk=payload.region_id).first()
    district = District.objects.filter(pk=payload.district_id).first() if payload.district_id is not None else None
    if region is None or (payload.district_id is not None and district is None):
        raise errors.InvalidValue(field="region_id" if region is None else "district_id")
    data = payload.model_dump(exclude={"region_id", "district_id", "stages"})
    campaign = campaigns.campaign_create(
        actor=request.auth, region=region, district=district, stages=[(s.opens_at, s.share) for s in payload.stages], **data
    )
    return Status(201, campaign_out(campaign))


@router.post("/campaigns/{int:campaign_id}/announce", auth=session_auth, response=CampaignOut,
             summary="Officer: announce (at least the lead time before the first stage)")
def campaign_announce(request: HttpRequest, campaign_id: int):
    return campaign_out(campaigns.campaign_announce(actor=request.auth, campaign_id=campaign_id))


@router.post("/campaigns/{int:campaign_id}/changes", auth=session_auth, response=CampaignOut,
             summary="Officer: change an announced campaign with a published reason")
def campaign_change(request: HttpRequest, campaign_id: int, payload: CampaignChangeIn):
    changes = payload.model_dump(exclude={"reason", "stage_times"}, exclude_none=True)
    campaigns.campaign_change(actor=request.auth, campaign_id=campaign_id, reason=payload.reason,
                              stage_times=payload.stage_times, **changes)
    return campaign_out(VoucherCampaign.objects.get(pk=campaign_id))
