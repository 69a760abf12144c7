"""Benefit rights API, mounted at /api/v1/applications: claims, documents, an officer's decisions.

Signed-in calls use the session cookie (and its CSRF token on unsafe methods), as in /api/v1/auth.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, File, Router, Schema, Status, UploadedFile

from kezek.accounts.api import session_auth
from kezek.applications.models import BenefitClaim
from kezek.applications.selectors import claims as claim_selectors
from kezek.applications.services import claims as claim_services

router = Router(auth=session_auth)


class ClaimIn(Schema):
    kind: str = Field(..., max_length=32, description="Benefit kind, e.g. military, large_family")


class ClaimDecisionIn(Schema):
    reason: str = Field("", max_length=2000)


class RejectIn(Schema):
    reason: str = Field(..., max_length=2000, description="Why the right is rejected (shown to the parent)")
    found_false: bool = Field(False, description="The right is false: 10-day stop-list, back to the general queue")


class ClaimDetailOut(Schema):
    id: int
    application_id: int
    kind: str
    priority_class: int
    source: str
    status: str
    confirm_by: datetime | None
    submitted_at: datetime
    has_document: bool
    document_content_type: str
    document_size: int | None
    decided_at: datetime | None
    decision_reason: str


def _claim_out(claim: BenefitClaim) -> dict:
    return {
        "id": claim.pk,
        "application_id": claim.application_id,
        "kind": claim.kind,
        "priority_class": claim.priority_class,
        "source": claim.source,
        "status": claim.status,
        "confirm_by": claim.confirm_by,
        "submitted_at": claim.submitted_at,
        "has_document": bool(claim.document),
        "document_content_type": claim.document_content_type,
        "document_size": claim.document_size,
        "decided_at": claim.decided_at,
        "decision_reason": claim.decision_reason,
    }


@router.post("/{int:application_id}/claims", response={201: ClaimDetailOut}, summary="Claim a benefit right that needs a document")
def claim_add(request: HttpRequest, application_id: int, payload: ClaimIn):
    claim = claim_services.claim_add(actor=request.auth, application_id=application_id, kind=payload.kind)
    return Status(201, _claim_out(claim))


@router.post("/claims/{int:claim_id}/document", response=ClaimDetailOut, summary="Upload the document (PDF, JPEG or PNG, at most 5 MB)")
def claim_document_upload(request: HttpRequest, claim_id: int, file: File[UploadedFile]):
    claim = claim_services.claim_document_upload(actor=request.auth, claim_id=claim_id, uploaded_file=file)
    return _claim_out(claim)


@router.post("/claims/{int:claim_id}/verify", response=ClaimDetailOut, summary="Officer: the document proves the right")
def claim_verify(request: HttpRequest, claim_id: int, payload: ClaimDecisionIn | None = None):
    claim = claim_services.claim_verify(actor=request.auth, claim_id=claim_id, reason=payload.reason if payload else "")
    return _claim_out(claim)


@router.post("/claims/{int:claim_id}/reject", response=ClaimDetailOut, summary="Officer: reject the right, or find it false")
def claim_reject(request: HttpRequest, claim_id: int, payload: RejectIn):
    claim = claim_services.claim_reject(
        actor=request.auth, claim_id=claim_id, reason=payload.reason, found_false=payload.found_false
    )
    return _claim_out(claim)


@router.get("/claims/waiting", response=list[ClaimDetailOut], summary="Officer: documents waiting for review, oldest first")
def claims_waiting(request: HttpRequest, district_id: int | None = None):
    return [_claim_out(c) for c in claim_selectors.claims_waiting_review(user=request.auth, district_id=district_id)]
