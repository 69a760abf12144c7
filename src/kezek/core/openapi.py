"""The OpenAPI document names the problem JSON errors that any operation can answer with.

Errors are mapped in one place (``config/api.py``, ``kezek.core.errors``) rather than declared on each
route, so the document gets them here too: clients and schemathesis then know every status an
operation may return and the shape of its body.
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI

PROBLEM_CONTENT_TYPE = "application/problem+json"

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details with Kezek's stable `code` (see docs/api.md).",
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "reason": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"loc": {"type": "array", "items": {"type": "string"}}, "type": {"type": "string"}, "msg": {"type": "string"}},
            },
        },
    },
}

# Statuses any operation may answer with (docs/api.md, "Errors"); 401 only where signing in is required.
ANY_OPERATION = {
    400: "Malformed JSON or an unreadable request (`malformed_json`, `bad_request`)",
    403: "Not allowed (`out_of_scope`, `role_required`, `csrf_failed`)",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "The body is over the limit (`body_too_large`)",
    422: "Invalid input (`validation_error` with `errors`, or a domain code with `reason`)",
    429: "Rate limited; see `Retry-After`",
    503: "Temporarily unavailable (busy, or `database_unavailable`); see `Retry-After`",
}
SIGNED_IN = {401: "Not signed in (`unauthenticated`)"}
# Operations that take a file (a multipart body) may find the file storage full (kezek.core.uploads).
UPLOADS = {507: "The file storage is full (`storage_full`); nothing was saved"}


def document_problem_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the shared problem responses to every operation, keeping any response a route declares itself."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    problem = {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            statuses = {**ANY_OPERATION, **(SIGNED_IN if operation.get("security") else {})}
            if "multipart/form-data" in operation.get("requestBody", {}).get("content", {}):
                statuses.update(UPLOADS)
            responses = operation.setdefault("responses", {})
            for status, description in statuses.items():
                responses.setdefault(str(status), {"description": description, "content": problem})
    return schema


class KezekAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document lists the problem responses of ``config/api.py``'s error handlers."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None):
        return document_problem_responses(super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params))
