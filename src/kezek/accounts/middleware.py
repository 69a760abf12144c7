"""Ends requests of sessions the account holder has ended elsewhere, and notes when a session was last seen."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class SessionTrackingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from kezek.accounts.services import session_touch

        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            session_touch(request=request)
        return self.get_response(request)
