"""Request-level helpers shared by the rush API and pages, and by the claim endpoints built on the rush."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest

from kezek.core.middleware import client_ip
from kezek.domain.waiting_room import VisitorState, poll_interval
from kezek.rush.models import Opening
from kezek.rush.services import RoomStatus, rush_rate_check

TOKEN_HEADER = "X-Rush-Token"
TOKEN_PARAM = "rush_token"


def request_guard(request: HttpRequest) -> None:
    """Rate-limit a rush request by account and by IP (call it first in every rush endpoint, claims included)."""
    user = getattr(request, "user", None)
    account_id = user.pk if user is not None and user.is_authenticated else None
    rush_rate_check(account_id=account_id, ip=client_ip(request))


def token_from_request(request: HttpRequest) -> str:
    """The admission token of a claim request: the X-Rush-Token header, else the rush_token field or parameter."""
    return request.headers.get(TOKEN_HEADER) or request.POST.get(TOKEN_PARAM) or request.GET.get(TOKEN_PARAM) or ""


def continue_url(opening: Opening, token: str) -> str:
    """Where an admitted visitor goes next: the opening's claim page with the pass attached."""
    if not token or not opening.claim_url:
        return ""
    separator = "&" if "?" in opening.claim_url else "?"
    return f"{opening.claim_url}{separator}{urlencode({TOKEN_PARAM: token})}"


def poll_seconds(status: RoomStatus) -> int | None:
    """How soon the page asks again (``poll_interval`` while waiting); never once admitted or expired."""
    visitor = status.visitor
    if visitor is None or visitor.state in (VisitorState.ADMITTED, VisitorState.EXPIRED):
        return None
    return poll_interval(wait_seconds=visitor.wait_seconds)


def status_payload(status: RoomStatus) -> dict[str, Any]:
    """The JSON body (and template context) of a visitor's status."""

    def as_time(seconds: float | None) -> datetime | None:
        return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None

    visitor = status.visitor
    return {
        "opening": status.opening.slug,
        "opens_at": status.opening.opens_at,
        "state": status.state,
        "position": visitor.position if visitor else None,
        "estimated_wait_seconds": visitor.wait_seconds if visitor else None,
        "in_room": status.in_room,
        "admitted_at": as_time(visitor.admitted_at) if visitor else None,
        "token": status.token,
        "token_expires_at": as_time(visitor.expires_at) if visitor and status.token else None,
        "continue_url": continue_url(status.opening, status.token),
        "poll_after_seconds": poll_seconds(status),
    }
