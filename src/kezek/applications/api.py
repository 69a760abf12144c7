"""Kindergarten queue API, mounted at /api/v1/applications: applying and the personal cabinet.

Signed-in calls use the session cookie with the CSRF token, as the sign-in API describes. ``POST /``
takes an optional ``Idempotency-Key`` header: a retry with the same key returns the same application
(200 instead of 201). Without a key every call is a new submission, and the one-open-application-per-child
rule still stops a double click from creating a second one.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from kezek.accounts.api import session_auth
from kezek.applications.errors import InvalidIdempotencyKey
from kezek.applications.models import Application, BenefitClaim
from kezek.applications.schemas import (
    ApplicationOut,
    ApplicationSubmitIn,
    ChildForApplicationOut,
    ContactsIn,
    KindergartenOut,
    PreferencesIn,
    WithdrawIn,
)
from kezek.applications.selectors.applications import (
    application_get_for_user,
    applications_for_user,
    children_for_application,
    kindergartens_search,
)
from kezek.applications.services.submission import (
    application_submit_outcome,
    application_update_contacts,
    application_update_preferences,
    application_withdraw,
)

router = Router(auth=session_auth)

_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,100}")


def application_out(
    application: Application, *, organisation_names: dict[int, str] | None = None, claims: list[BenefitClaim] | None = None
) -> dict[str, Any]:
    """The API body of one application (also used by the pages' JSON needs).

    A caller that has just written the application passes its kindergartens' names (in rank order) and its
    claims, so the body is built without reading them back.
    """
    if organisation_names is None:
        preferences = [
            {"rank": p.rank, "organisation_id": p.organisation_id, "name": p.organisation.name}
            for p in application.preferences.select_related("organisation").order_by("rank")
        ]
    else:
        preferences = [
            {"rank": rank, "organisation_id": org_id, "name": name}
            for rank, (org_id, name) in enumerate(organisation_names.items(), start=1)
        ]
    if claims is None:
        claims = list(application.claims.order_by("pk"))
    return {
        "id": application.pk,
        "queue_number": application.queue_number,
        "public_id": application.public_id,
        "status": application.status,
        "priority_class": application.priority_class,
        "registered_at": application.registered_at,
        "child_iin": application.child.iin,
        "child_name": application.child.full_name,
        "district_id": application.district_id,
        "desired_start_date": application.desired_start_date,
        "language": application.language,
        "age_group": application.age_group,
        "phones": application.phones,
        "email": application.email,
        "notify_channel": application.notify_channel,
        "notify_language": application.notify_language,
        "preferences": preferences,
        "claims": [
            {
                "id": c.pk, "kind": c.kind, "priority_class": c.priority_class, "source": c.source,
                "status": c.status, "confirm_by": c.confirm_by,
            }
            for c in sorted(claims, key=lambda c: c.pk)
        ],
    }


def _submission_key(request: HttpRequest) -> str:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return uuid.uuid4().hex
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidIdempotencyKey()
    return key


@router.post("/", response={200: ApplicationOut, 201: ApplicationOut}, summary="Apply for a kindergarten place")
def submit(request: HttpRequest, payload: ApplicationSubmitIn):
    """201 with the new application and its queue number; 200 with the same body for a replayed Idempotency-Key."""
    outcome = application_submit_outcome(
        actor=request.auth,
        submission_key=_submission_key(request),
        request_id=getattr(request, "request_id", ""),
        **payload.model_dump(),
    )
    body = (
        application_out(outcome.application, organisation_names=outcome.organisation_names, claims=outcome.claims)
        if outcome.created
        else application_out(outcome.application)
    )
    return Status(201 if outcome.created else 200, body)


@router.get("/", response=list[ApplicationOut], summary="Your kindergarten applications")
def my_applications(request: HttpRequest):
    return [application_out(a) for a in applications_for_user(user=request.auth)]


@router.get("/children", response=list[ChildForApplicationOut], summary="Your children in the registry, to apply for")
def my_children(request: HttpRequest):
    return children_for_application(user=request.auth)


class KindergartenFilter(Schema):
    district_id: int
    language: str | None = None
    free: bool = False
    q: str = ""


@router.get("/kindergartens", response=list[KindergartenOut], summary="Kindergartens of a district to choose from")
def kindergartens(request: HttpRequest, filters: Query[KindergartenFilter]):
    found = kindergartens_search(
        district_id=filters.district_id, language=filters.language, with_free_places=filters.free, query=filters.q
    )
    return [
        {
            "id": o.pk, "name": o.name, "address": o.address, "district_id": o.district_id, "languages": o.languages,
            "ownership": o.ownership, "capacity": o.capacity, "has_free_places": o.capacity > 0,
        }
        for o in found
    ]


@router.get("/{int:application_id}", response=ApplicationOut, summary="One application")
def application_detail(request: HttpRequest, application_id: int):
    return application_out(application_get_for_user(user=request.auth, application_id=application_id))


@router.patch("/{int:application_id}/contacts", response=ApplicationOut, summary="Change phones, e-mail and notifications")
def update_contacts(request: HttpRequest, application_id: int, payload: ContactsIn):
    application = application_update_contacts(actor=request.auth, application_id=application_id, **payload.model_dump())
    return application_out(application)


@router.put("/{int:application_id}/preferences", response=ApplicationOut, summary="Replace the chosen kindergartens")
def update_preferences(request: HttpRequest, application_id: int, payload: PreferencesIn):
    application = application_update_preferences(
        actor=request.auth, application_id=application_id, preferences=payload.preferences
    )
    return application_out(application)


@router.post("/{int:application_id}/withdraw", response=ApplicationOut, summary="Withdraw the application")
def withdraw(request: HttpRequest, application_id: int, payload: WithdrawIn | None = None):
    application = application_withdraw(
        actor=request.auth, application_id=application_id, reason=payload.reason if payload else ""
    )
    return application_out(application)
