"""A whole-response cache in front of Django for public pages seen by visitors who are not signed in.

Public dashboards must hold thousands of requests a second on two cores. Django's own per-view cache
still runs every middleware and the URL resolver; this WSGI wrapper answers a cached page before any of
that, from the shared cache (Redis, or the database cache table), so every app process serves the same
copy and a change shows within ``KEZEK_PUBLIC_CACHE_SECONDS``.

Only responses a view marks with ``public_page`` are stored, only for requests without a session cookie,
and never one that sets a cookie: nothing personal can be cached or served to someone else.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header

MARKER = "X-Kezek-Public-Page"
PREFIX = "kezek:public-page:"


def public_page(view: Callable) -> Callable:
    """Mark a view's successful answers as the same for every visitor who is not signed in (cacheable)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        request.public_page = True  # base.html then leaves out the CSRF-bound language form
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            response[MARKER] = "1"
            response["Cache-Control"] = f"public, max-age={settings.KEZEK_PUBLIC_CACHE_SECONDS}"
        return response

    return wrapped


def _cookies(environ: dict[str, Any]) -> dict[str, str]:
    cookies = {}
    for part in environ.get("HTTP_COOKIE", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            cookies[name] = value
    return cookies


def _language(environ: dict[str, Any], cookies: dict[str, str]) -> str:
    supported = dict(settings.LANGUAGES)
    chosen = cookies.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in supported:
        return chosen
    for code, _q in parse_accept_lang_header(environ.get("HTTP_ACCEPT_LANGUAGE", "")[:255]):
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def cache_key(environ: dict[str, Any]) -> str | None:
    """The cache key of a request that may be answered from the cache, else None."""
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        return None
    path = environ.get("PATH_INFO", "")
    if not path.startswith(tuple(settings.KEZEK_PUBLIC_CACHE_PATHS)):
        return None
    cookies = _cookies(environ)
    if settings.SESSION_COOKIE_NAME in cookies:
        return None
    query = environ.get("QUERY_STRING", "")
    return f"{PREFIX}{_language(environ, cookies)}:{path}?{query}"[:240]


class PublicPageCache:
    """WSGI wrapper: serve marked public pages from the shared cache; store them on a miss."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        key = cache_key(environ) if settings.KEZEK_PUBLIC_CACHE_SECONDS > 0 else None
        if key is None:
            return self.app(environ, start_response)
        try:
            hit = cache.get(key)
        except Exception:  # a cache outage must not take the public pages down with it
            hit = None
        if hit is not None:
            status, headers, body = hit
            start_response(status, [*headers, ("X-Kezek-Cache", "hit")])
            return [b"" if environ["REQUEST_METHOD"] == "HEAD" else body]
        captured: dict[str, Any] = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return start_response(status, [h for h in headers if h[0] != MARKER], exc_info)

        chunks = self.app(environ, capture)
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        headers = captured.get("headers", [])
        names = {name.lower() for name, _ in headers}
        if captured.get("status", "").startswith("200") and MARKER.lower() in names and "set-cookie" not in names:
            kept = [(n, v) for n, v in headers if n != MARKER]
            try:
                cache.set(key, (captured["status"], kept, body), settings.KEZEK_PUBLIC_CACHE_SECONDS)
            except Exception:
                pass
        return [body]
