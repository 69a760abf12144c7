"""Ends requests of sessions the account holder has ended elsewhere, and notes when a session was last seen."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# Probes never act for an account: they must answer without reading the session or the database.
PROBE_PATHS = frozenset({"/health", "/ready", "/metrics"})


class SessionTrackingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from kezek.accounts.services import session_touch

        if request.path in PROBE_PATHS:
            return self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            session_touch(request=request)
        return self.get_response(request)
