"""The waiting room page: a countdown, then the visitor's place and wait (polled with htmx), then "continue".

Thin views over the same services as the API. A busy system or a rate limit answers a friendly page with
Retry-After (503 or 429), never an error page.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST

from kezek.core.errors import STATUS_BY_KIND, error_text
from kezek.domain.errors import DomainError, RateLimited
from kezek.rush import selectors, services
from kezek.rush.web import request_guard, status_payload

app_name = "rush"


def _friendly_errors(view):
    """Show a domain error (busy, rate limited, unknown opening) as a page in the user's language."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            status = STATUS_BY_KIND.get(exc.kind, 400)
            template = "rush/_problem.html" if request.headers.get("HX-Request") == "true" else "rush/problem.html"
            response = render(request, template, {"error": error_text(exc), "status": status}, status=status)
            if isinstance(exc, RateLimited):
                response["Retry-After"] = str(exc.retry_after)
            add_never_cache_headers(response)
            return response

    return wrapper


def _context(request: HttpRequest, slug: str, *, guard: bool = True) -> dict:
    if guard:
        request_guard(request)
    opening = selectors.opening_by_slug(slug=slug)
    context = {"opening": opening, "public": selectors.opening_public(opening=opening), "now": timezone.now()}
    if request.user.is_authenticated:
        context["status"] = status_payload(services.waiting_room_status(opening=opening, account=request.user))
    else:
        context["signin_url"] = f"{reverse('web:parent-signin')}?{urlencode({'next': request.path})}"
    return context


def _no_cache(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    return response


@require_GET
@_friendly_errors
def room(request: HttpRequest, slug: str) -> HttpResponse:
    return _no_cache(render(request, "rush/room.html", _context(request, slug)))


@require_GET
@_friendly_errors
def room_status(request: HttpRequest, slug: str) -> HttpResponse:
    return _no_cache(render(request, "rush/_status.html", _context(request, slug)))


@require_POST
@_friendly_errors
def room_join(request: HttpRequest, slug: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"{reverse('web:parent-signin')}?{urlencode({'next': reverse('rush:room', args=[slug])})}")
    request_guard(request)
    opening = selectors.opening_by_slug(slug=slug)
    services.waiting_room_join(opening=opening, account=request.user)
    if request.headers.get("HX-Request") == "true":
        return _no_cache(render(request, "rush/_status.html", _context(request, slug, guard=False)))
    return redirect("rush:room", slug=slug)


urlpatterns = [
    path("<slug:slug>/", room, name="room"),
    path("<slug:slug>/status/", room_status, name="status"),
    path("<slug:slug>/join/", room_join, name="join"),
]
