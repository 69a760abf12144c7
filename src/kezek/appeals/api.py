"""Appeals API, mounted at /api/v1/appeals: filing and following appeals, officers' decisions, incidents.

Signed-in calls use the session cookie (and its CSRF token on unsafe methods), as in /api/v1/auth. The same
services as the pages; refusals are RFC 9457 problem JSON.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router, Status, UploadedFile

from kezek.accounts.api import session_auth
from kezek.appeals import selectors
from kezek.appeals.models import Appeal, Incident
from kezek.appeals.schemas import (
    AppealIn,
    AppealOut,
    DecisionIn,
    DocumentOut,
    IncidentIn,
    IncidentItemsOut,
    IncidentOut,
    RestoreOut,
)
from kezek.appeals.services import appeals as appeal_services
from kezek.appeals.services import incidents as incident_services

router = Router(auth=session_auth)


def _appeal_out(appeal: Appeal) -> dict[str, Any]:
    remedy = selectors.appeal_remedy(appeal=appeal)
    return {
        **{f: getattr(appeal, f) for f in ("id", "kind", "subject_kind", "subject_id", "status", "text", "filed_at", "deadline",
                                           "district_id", "decided_at", "decision_reason")},
        "overdue": getattr(appeal, "overdue", False),
        "documents": list(appeal.documents.all()),
        "remedy": remedy,
    }


@router.post("", response={201: AppealOut}, summary="File an appeal about your own record, with documents")
def appeal_file(request: HttpRequest, payload: Form[AppealIn], files: File[list[UploadedFile]] = None):
    appeal = appeal_services.appeal_file(
        actor=request.auth, kind=payload.kind, subject_kind=payload.subject_kind, subject_id=payload.subject_id,
        text=payload.text, documents=files or [],
    )
    return Status(201, _appeal_out(selectors.appeal_get(user=request.auth, appeal_id=appeal.pk)))


@router.get("/mine", response=list[AppealOut], summary="Your appeals, newest first")
def appeals_mine(request: HttpRequest):
    return [_appeal_out(a) for a in selectors.appeals_of_filer(user=request.auth)]


@router.get("/officer", response=list[AppealOut], summary="Officer: appeals of your district, earliest deadline first")
def appeals_officer(request: HttpRequest, status: str | None = "open", overdue: bool = False):
    return [_appeal_out(a) for a in selectors.appeals_for_officer(user=request.auth, status=status or None, overdue_only=overdue)]


@router.get("/incidents", response=list[IncidentOut], summary="Administrator: recorded incidents")
def incidents_list(request: HttpRequest):
    return selectors.incidents_list(user=request.auth)


@router.post("/incidents", response={201: IncidentOut}, summary="Administrator: record an incident window")
def incident_record(request: HttpRequest, payload: IncidentIn):
    incident = incident_services.incident_record(
        actor=request.auth, starts_at=payload.starts_at, ends_at=payload.ends_at, description=payload.description
    )
    return Status(201, incident)


def _items_out(incident: Incident) -> dict[str, Any]:
    items = selectors.incident_items(incident=incident)

    def rows(objects: list[Any]) -> list[dict[str, Any]]:
        return [{"id": o.pk, "outcome": o.remedy and o.remedy.outcome, "new_item_id": o.remedy and o.remedy.new_item_id}
                for o in objects]

    return {"incident": incident, "expired_offers": rows(items.offers), "cancelled_vouchers": rows(items.vouchers),
            "rush_claims": items.rush_claims, "refused_claims_stored": False}


@router.get("/incidents/{int:incident_id}", response=IncidentItemsOut, summary="Administrator: what the incident took")
def incident_items(request: HttpRequest, incident_id: int):
    return _items_out(selectors.incident_get(user=request.auth, incident_id=incident_id))


@router.post("/incidents/{int:incident_id}/restore", response=RestoreOut, summary="Administrator: restore it all, once")
def incident_restore(request: HttpRequest, incident_id: int):
    return {"outcomes": dict(incident_services.incident_restore(actor=request.auth, incident_id=incident_id))}


@router.get("/{int:appeal_id}", response=AppealOut, summary="One appeal: for its filer and the district's officers")
def appeal_get(request: HttpRequest, appeal_id: int):
    return _appeal_out(selectors.appeal_get(user=request.auth, appeal_id=appeal_id))


@router.post("/{int:appeal_id}/documents", response={201: DocumentOut}, summary="Add a document (PDF, JPEG or PNG, at most 5 MB)")
def appeal_document_add(request: HttpRequest, appeal_id: int, file: File[UploadedFile]):
    return Status(201, appeal_services.appeal_document_add(actor=request.auth, appeal_id=appeal_id, uploaded_file=file))


@router.post("/{int:appeal_id}/decision", response=AppealOut, summary="Officer: decide with a reason; upheld runs the remedy")
def appeal_decide(request: HttpRequest, appeal_id: int, payload: DecisionIn):
    appeal_services.appeal_decide(
        actor=request.auth, appeal_id=appeal_id, upheld=payload.upheld, reason=payload.reason, amount=payload.amount
    )
    return _appeal_out(selectors.appeal_get(user=request.auth, appeal_id=appeal_id))
