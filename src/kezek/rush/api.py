"""Waiting room API, mounted at /api/v1/rush.

Joining and reading one's status need a signed-in account (session cookie, CSRF token on POST); the
opening itself, with the places left in each pool, is public.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from kezek.accounts.api import session_auth
from kezek.rush import selectors, services
from kezek.rush.schemas import OpeningOut, StatusOut
from kezek.rush.web import request_guard, status_payload

router = Router()


@router.get("/openings/{slug}", response=OpeningOut, summary="An opening: when it opens and the places left")
def opening_detail(request: HttpRequest, slug: str):
    request_guard(request)
    opening = selectors.opening_by_slug(slug=slug)
    return selectors.opening_public(opening=opening) | {"server_time": timezone.now()}


@router.post("/openings/{slug}/join", response=StatusOut, auth=session_auth, summary="Enter the waiting room")
def opening_join(request: HttpRequest, slug: str):
    """Before the opening every visitor gets a random place; later visitors queue in arrival order. Joining again keeps the place."""
    request_guard(request)
    opening = selectors.opening_by_slug(slug=slug)
    return status_payload(services.waiting_room_join(opening=opening, account=request.auth))


@router.get("/openings/{slug}/status", response=StatusOut, auth=session_auth, summary="Your place, wait and pass")
def opening_status(request: HttpRequest, slug: str):
    """state: not_joined, waiting_for_opening, queued, admitted (with a token), expired."""
    request_guard(request)
    opening = selectors.opening_by_slug(slug=slug)
    return status_payload(services.waiting_room_status(opening=opening, account=request.auth))
