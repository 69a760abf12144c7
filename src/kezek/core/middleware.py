"""Request-scoped plumbing shared by pages and the API."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


API_PREFIX = "/api/"
# Probes and scrapes: answered many times a minute, logged at DEBUG only.
QUIET_PATHS = frozenset({"/health", "/ready", "/metrics"})

request_log = logging.getLogger("kezek.request")


class RequestIdMiddleware:
    """Give every request an id (kept from X-Request-ID when well-formed) for logs, audit and errors.

    It also writes the request log line and counts the request in the metrics (kezek.core.metrics).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        from kezek.core.metrics import observe_request, request_route

        self.get_response = get_response
        self.observe_request, self.request_route = observe_request, request_route

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from kezek.core.logging import request_id_var

        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request.request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request.request_id
            seconds = time.perf_counter() - started
            self.observe_request(
                method=request.method or "", route=self.request_route(request),
                status=response.status_code, seconds=seconds,
            )
            self._log(request, response.status_code, seconds)
        finally:
            request_id_var.reset(token)
        return response

    @staticmethod
    def _log(request: HttpRequest, status: int, seconds: float) -> None:
        level = logging.DEBUG if request.path in QUIET_PATHS else logging.INFO
        if not request_log.isEnabledFor(level):
            return
        request_log.log(
            level, "%s %s %s", request.method, request.path, status,
            extra={
                "request_id": request.request_id, "method": request.method, "path": request.path, "status": status,
                "duration_ms": round(seconds * 1000, 1), "user_id": _user_id(request),
            },
        )


def _user_id(request: HttpRequest) -> int | None:
    # Only a user the request already loaded: reading request.user here would cost a query on every request.
    user = getattr(request, "user", None)
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is None or wrapped is empty or not getattr(wrapped, "is_authenticated", False):
        return None
    return wrapped.pk


class PermissionsPolicyMiddleware:
    """Switch off browser features the site never uses (camera, microphone, location...), on every answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        from django.conf import settings

        self.get_response = get_response
        self.policy = settings.KEZEK_PERMISSIONS_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Permissions-Policy", self.policy)
        return response


class ApiProblemMiddleware:
    """Under /api/, turn Django's and ninja's plain 404 and 405 answers into problem JSON like every other error.

    Unknown routes never reach the API (the URL resolver answers them with the site's HTML page), and
    ninja answers a wrong method in plain text; clients should get one error format from the API.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or response.status_code not in (404, 405):
            return response
        if response.get("Content-Type", "").startswith(("application/problem+json", "application/json")):
            return response
        return self._problem(request, response)

    @staticmethod
    def _problem(request: HttpRequest, response: HttpResponse) -> HttpResponse:
        from django.utils.translation import gettext as _

        from kezek.core.errors import problem_response

        if response.status_code == 404:
            return problem_response(
                request, status=404, code="not_found", title=_("Not found."),
                detail=_("Check the address against the API documentation at /api/v1/docs."),
            )
        allowed = response.get("Allow", "")
        return problem_response(
            request, status=405, code="method_not_allowed", title=_("This method is not allowed here."),
            detail=_("Use one of: %(methods)s.") % {"methods": allowed}, headers={"Allow": allowed},
        )


def client_ip(request: HttpRequest) -> str:
    """The client's address; behind a trusted proxy (KEZEK_TRUST_X_FORWARDED_FOR) the first forwarded hop."""
    from django.conf import settings

    if getattr(settings, "KEZEK_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"
