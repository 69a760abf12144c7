"""People API, mounted at /api/v1/people: what the registry says about the signed-in user's family."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from kezek.accounts.api import session_auth
from kezek.people import selectors
from kezek.people.schemas import ChildOut

router = Router()


@router.get("/me/children", auth=session_auth, response=list[ChildOut], summary="Your children, as the registry lists them")
def my_children(request: HttpRequest):
    return selectors.children_for_user(user=request.user)
