"""Request-scoped plumbing shared by pages and the API."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


API_PREFIX = "/api/"


class RequestIdMiddleware:
    """Give every request an id (kept from X-Request-ID when well-formed) for logs, audit and errors."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
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
