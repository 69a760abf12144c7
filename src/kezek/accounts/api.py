"""Sign-in and sessions API, mounted at /api/v1/auth.

Signed-in calls use the Django session cookie. A request that carries the cookie must also carry the
CSRF token (header ``X-CSRFToken``, from ``GET /csrf``) on unsafe methods; the sign-in calls ask the same
of browsers (requests with an Origin header or cookies), so another site cannot sign a visitor in.
Plain API clients without cookies need no token.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token
from ninja import Router, Status
from ninja.security import SessionAuth
from ninja.utils import check_csrf

from kezek.accounts import selectors, services
from kezek.accounts.errors import CsrfFailed
from kezek.accounts.schemas import (
    CsrfOut,
    OtpRequestIn,
    OtpRequestOut,
    OtpVerifyIn,
    SessionOut,
    StaffSigninIn,
    UserOut,
)
from kezek.core.middleware import client_ip


class SessionCookieAuth(SessionAuth):
    """ninja's session auth; the CSRF check runs when a session cookie is sent (without one there is nothing to forge)."""

    def _get_key(self, request: HttpRequest) -> str | None:
        key = request.COOKIES.get(self.param_name)
        if key and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise CsrfFailed()
        return key


session_auth = SessionCookieAuth()
router = Router()


def _require_csrf_from_browsers(request: HttpRequest) -> None:
    if (request.headers.get("Origin") or request.COOKIES) and check_csrf(request):
        raise CsrfFailed()


def _user_out(user: Any) -> dict[str, Any]:
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "preferred_language": user.preferred_language,
        "person_id": user.person_id,
        "district_id": user.district_id,
        "organisation_id": user.organisation_id,
    }


@router.get("/csrf", response=CsrfOut, summary="Get a CSRF token (also set as the csrftoken cookie)")
def csrf_token(request: HttpRequest):
    return {"csrf_token": get_token(request)}


@router.post("/otp/request", response={202: OtpRequestOut}, summary="Send a sign-in code by SMS")
def otp_request(request: HttpRequest, payload: OtpRequestIn):
    """The answer is the same whether or not the phone is registered."""
    _require_csrf_from_browsers(request)
    # Without an explicit choice the account's own language wins over the server's default.
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) or request.headers.get("Accept-Language")
    language = payload.language or (getattr(request, "LANGUAGE_CODE", "") if chosen else "")
    services.otp_request(phone=payload.phone, ip=client_ip(request), language=language)
    return Status(202, {"status": "sent_if_registered"})


@router.post("/otp/verify", response=UserOut, summary="Sign a parent in with the SMS code")
def otp_verify(request: HttpRequest, payload: OtpVerifyIn):
    _require_csrf_from_browsers(request)
    user = services.otp_verify(phone=payload.phone, code=payload.code, ip=client_ip(request))
    services.session_start(request=request, user=user)
    return _user_out(user)


@router.post("/staff/signin", response=UserOut, summary="Sign a staff member in with login and password")
def staff_signin(request: HttpRequest, payload: StaffSigninIn):
    _require_csrf_from_browsers(request)
    user = services.staff_authenticate(username=payload.username, password=payload.password, ip=client_ip(request))
    services.session_start(request=request, user=user)
    return _user_out(user)


@router.post("/signout", auth=session_auth, response={204: None}, summary="Sign out of this device")
def signout(request: HttpRequest):
    services.signout(request=request)
    return Status(204, None)


@router.get("/me", auth=session_auth, response=UserOut, summary="The signed-in account")
def me(request: HttpRequest):
    return _user_out(request.auth)


@router.get("/sessions", auth=session_auth, response=list[SessionOut], summary="Your active sessions")
def sessions(request: HttpRequest):
    return selectors.session_list(user=request.auth, current_key=request.session.session_key)


@router.delete("/sessions/{session_id}", auth=session_auth, response={204: None}, summary="End one of your sessions")
def session_delete(request: HttpRequest, session_id: int):
    services.session_end(actor=request.auth, session_id=session_id)
    return Status(204, None)
