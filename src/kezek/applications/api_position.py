"""Queue position and history API, mounted at /api/v1/applications.

The applicant and the officers of the application's district may read them; anyone else gets 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from kezek.accounts.api import session_auth
from kezek.applications.selectors.position import (
    Position,
    application_for_viewer,
    application_history,
    application_position,
)

router = Router()


class KindergartenPositionOut(Schema):
    organisation_id: int
    organisation_name: str
    rank: int
    position: int | None
    ahead: int | None


class RotationOut(Schema):
    first_priority_places: int
    general_places: int
    rotates: bool
    cycle: list[int]
    places_until_turn: int


class PositionOut(Schema):
    application_id: int
    queue_number: int
    public_id: str
    status: str
    priority_class: int
    registered_at: dt.datetime
    in_queue: bool
    position: int | None
    ahead_by_class: dict[str, int]
    per_kindergarten: list[KindergartenPositionOut]
    rotation: RotationOut | None
    last_allocation_offered: int | None


class HistoryEntryOut(Schema):
    date: dt.date
    occurred_at: dt.datetime | None
    kind: str
    count: int | None
    text: str
    details: dict[str, Any]


def position_out(position: Position) -> dict[str, Any]:
    """The JSON form of a Position (the page and the API show the same numbers)."""
    rotation = position.rotation
    return {
        "application_id": position.application_id,
        "queue_number": position.queue_number,
        "public_id": position.public_id,
        "status": position.status,
        "priority_class": position.priority_class,
        "registered_at": position.registered_at,
        "in_queue": position.in_queue,
        "position": position.position,
        "ahead_by_class": {str(k): v for k, v in sorted(position.ahead_by_class.items())},
        "per_kindergarten": [
            {
                "organisation_id": k.organisation.pk, "organisation_name": k.organisation.name,
                "rank": k.rank, "position": k.position, "ahead": k.ahead,
            }
            for k in position.per_kindergarten
        ],
        "rotation": None if rotation is None else {
            "first_priority_places": rotation.first,
            "general_places": rotation.general,
            "rotates": rotation.rotates,
            "cycle": [int(c) for c in rotation.cycle],
            "places_until_turn": rotation.places_until_turn,
        },
        "last_allocation_offered": position.last_allocation_offered,
    }


@router.get("/{application_id}/position", auth=session_auth, response=PositionOut, summary="The application's queue position, explained")
def position(request: HttpRequest, application_id: int):
    application = application_for_viewer(user=request.user, application_id=application_id)
    return position_out(application_position(application=application))


@router.get(
    "/{application_id}/history", auth=session_auth, response=list[HistoryEntryOut],
    summary="Every change of the application's position with its reason, newest first",
)
def history(request: HttpRequest, application_id: int):
    application = application_for_viewer(user=request.user, application_id=application_id)
    return [
        {"date": e.date, "occurred_at": e.occurred_at, "kind": e.kind, "count": e.count, "text": e.text, "details": e.details}
        for e in application_history(application=application)
    ]
