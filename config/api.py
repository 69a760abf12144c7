"""The JSON API at /api/v1/: one NinjaAPI, routers from each app, every error as RFC 9457 problem JSON."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from kezek.accounts.api import router as accounts_router
from kezek.appeals.api import router as appeals_router
from kezek.applications.api import router as applications_router
from kezek.applications.api_claims import router as claims_router
from kezek.applications.api_position import router as position_router
from kezek.attendance.api import router as attendance_router
from kezek.audit.api import router as audit_router
from kezek.core.errors import domain_error_response, problem_response
from kezek.core.openapi import KezekAPI
from kezek.core.outage import database_unavailable_response, is_database_unavailable
from kezek.domain.errors import DomainError
from kezek.payments.api import router as payments_router
from kezek.people.api import router as people_router
from kezek.placements.api import offers_router, referrals_router
from kezek.privacy.api import router as privacy_router
from kezek.rounds.api import router as rounds_router
from kezek.rush.api import router as rush_router
from kezek.vouchers.api import router as vouchers_router

log = logging.getLogger("kezek.api")

api = KezekAPI(
    title="Kezek API",
    version="1",
    description="Kindergarten queue, allocation rounds and club vouchers. Errors are RFC 9457 problem JSON.",
    urls_namespace="api",
)
api.add_router("/auth", accounts_router, tags=["sign-in and sessions"])
api.add_router("/people", people_router, tags=["people and registry"])
api.add_router("/applications", applications_router, tags=["kindergarten queue"])
api.add_router("/applications", claims_router, tags=["benefit rights"])
api.add_router("/applications", position_router, tags=["queue position"])
api.add_router("/offers", offers_router, tags=["offers and referrals"])
api.add_router("/referrals", referrals_router, tags=["offers and referrals"])
api.add_router("/rounds", rounds_router, tags=["allocation rounds"])
api.add_router("/audit", audit_router, tags=["transparency"])
api.add_router("/rush", rush_router, tags=["openings and waiting rooms"])
api.add_router("/vouchers", vouchers_router, tags=["club vouchers"])
api.add_router("/appeals", appeals_router, tags=["appeals and incidents"])
api.add_router("/attendance", attendance_router, tags=["attendance"])
api.add_router("/payments", payments_router, tags=["payments"])
api.add_router("/me", privacy_router, tags=["personal data"])


@api.get("/health", tags=["operations"], summary="Liveness check")
def health(request: HttpRequest) -> dict[str, str]:
    return {"status": "ok"}


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError):
    return domain_error_response(request, exc)


def _malformed_json(request: HttpRequest):
    return problem_response(
        request,
        status=400,
        code="malformed_json",
        title=_("The request body is not valid JSON."),
        detail=_("Send a JSON object with the fields described in the API documentation."),
    )


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError):
    errors = [
        {"loc": [str(p) for p in e.get("loc", [])], "type": e.get("type", "invalid"), "msg": e.get("msg", "")}
        for e in exc.errors
    ]
    if any(e["type"] in {"json_invalid", "value_error.jsondecode"} for e in errors):
        return _malformed_json(request)
    return problem_response(
        request,
        status=422,
        code="validation_error",
        title=_("Some fields are missing or have the wrong type."),
        detail=_("Correct the fields listed in 'errors' and send the request again."),
        errors=errors,
    )


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError):
    return problem_response(
        request, status=401, code="unauthenticated", title=_("You are not signed in."), detail=_("Sign in and try again.")
    )


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig):
    return problem_response(
        request, status=413, code="body_too_large", title=_("The request is too large."), detail=_("Send a smaller request.")
    )


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404):
    return problem_response(request, status=404, code="not_found", title=_("Not found."))


@api.exception_handler(PermissionDenied)
def on_forbidden(request: HttpRequest, exc: PermissionDenied):
    return problem_response(request, status=403, code="forbidden", title=_("You are not allowed to do this."))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError):
    # ninja reports a body it cannot decode (bad JSON, bad UTF-8) as HttpError(400) caused by a ValueError.
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        return _malformed_json(request)
    return problem_response(request, status=exc.status_code, code=f"http_{exc.status_code}", title=str(exc))


@api.exception_handler(SuspiciousOperation)
def on_suspicious(request: HttpRequest, exc: SuspiciousOperation):
    # Too many form fields or files, a bad Host and the like: the client's fault, never a 500.
    return problem_response(
        request, status=400, code="bad_request", title=_("The request could not be read."),
        detail=_("Check the request against the API documentation."),
    )


# A multipart body without a valid boundary fails as soon as the CSRF check reads request.POST.
api.add_exception_handler(MultiPartParserError, on_suspicious)


@api.exception_handler(DataError)
def on_data_error(request: HttpRequest, exc: DataError):
    # The database refused a value the schema let through (a NUL character on PostgreSQL, a number out of range).
    log.warning("database refused a request value: %s", exc, extra={"request_id": getattr(request, "request_id", None)})
    return problem_response(
        request, status=422, code="invalid_value", title=_("A value in the request cannot be stored."),
        detail=_("Remove control characters such as NUL and keep numbers within range, then send the request again."),
    )


def on_database_error(request: HttpRequest, exc: Exception):
    # An unreachable database is an outage (503, Retry-After), not a bug; other database errors stay 500s.
    if is_database_unavailable(exc):
        return database_unavailable_response(request, exc)
    return on_unexpected(request, exc)


api.add_exception_handler(OperationalError, on_database_error)
api.add_exception_handler(InterfaceError, on_database_error)
api.add_exception_handler(RedisConnectionError, on_database_error)
api.add_exception_handler(RedisTimeoutError, on_database_error)


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception):
    log.exception("unhandled API error", extra={"request_id": getattr(request, "request_id", None)})
    return problem_response(
        request,
        status=500,
        code="internal_error",
        title=_("Something went wrong on our side."),
        detail=_("Nothing was changed. Try again in a minute; if it keeps failing, contact support with the request id."),
    )
