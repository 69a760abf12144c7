"""One place that turns domain errors into responses: RFC 9457 problem JSON for the API.

Pages use ``error_text`` to show the same message as a form error in the user's language.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext

from kezek.domain.errors import DomainError, RateLimited

STATUS_BY_KIND = {
    "invalid": 422,
    "not_found": 404,
    "forbidden": 403,
    "unauthenticated": 401,
    "conflict": 409,
    "rate_limited": 429,
    "unavailable": 503,
    # Our file storage is full (kezek.core.uploads): the request was fine, the server cannot store it now.
    "insufficient_storage": 507,
}

PROBLEM_CONTENT_TYPE = "application/problem+json"


def translate(template: str, params: dict[str, Any]) -> str:
    """Translate a message template into the active language and fill its parameters."""
    if not template:
        return ""
    text = gettext(template)
    return text % params if params else text


def error_text(exc: DomainError) -> str:
    """The message and the hint of a domain error, in the active language, as one sentence pair."""
    parts = [translate(exc.message, exc.params), translate(exc.hint, exc.params)]
    return " ".join(p for p in parts if p)


def problem_response(
    request: HttpRequest | None,
    *,
    status: int,
    code: str,
    title: str,
    detail: str = "",
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JsonResponse:
    """Build an RFC 9457 problem document with Kezek's stable ``code`` extension."""
    body: dict[str, Any] = {"type": f"https://kezek.kz/problems/{code}", "title": title, "status": status, "code": code}
    if detail:
        body["detail"] = detail
    if request is not None:
        body["instance"] = request.path
        if request_id := getattr(request, "request_id", None):
            body["request_id"] = request_id
    body.update(extensions)
    response = JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE, json_dumps_params={"ensure_ascii": False})
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def domain_error_response(request: HttpRequest | None, exc: DomainError) -> JsonResponse:
    """Map a domain error to its problem response (status from the error's kind)."""
    status = STATUS_BY_KIND.get(exc.kind, 400)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    extensions: dict[str, Any] = {}
    if reason := exc.params.get("reason"):
        extensions["reason"] = reason
    return problem_response(
        request,
        status=status,
        code=exc.code,
        title=translate(exc.message, exc.params),
        detail=translate(exc.hint, exc.params),
        headers=headers,
        **extensions,
    )
