"""Personal data API, mounted at /api/v1/me: a signed-in parent downloads everything held about them."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router

from kezek.accounts.api import session_auth
from kezek.privacy import services

router = Router()


@router.get("/data-export", auth=session_auth, summary="Everything held about you and your children, as one JSON document")
def data_export(request: HttpRequest):
    body = services.person_data_export_for_user(user=request.auth)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="kezek-my-data.json"'
    response["Cache-Control"] = "no-store"
    return response
