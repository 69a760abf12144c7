"""The whole-response cache for public pages: shared, anonymous only, never personal, per language."""

from __future__ import annotations

import io
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from kezek.core.public_cache import PublicPageCache
from tests.factories.applications import make_application

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _get(app, path: str, *, method: str = "GET", cookie: str = "", language: str = "") -> tuple[str, dict[str, str], bytes]:
    environ: dict = {"PATH_INFO": path, "REQUEST_METHOD": method, "wsgi.input": io.BytesIO(b""), "SERVER_NAME": "testserver"}
    setup_testing_defaults(environ)
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    if language:
        environ["HTTP_ACCEPT_LANGUAGE"] = language
    seen: dict = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body


@pytest.fixture
def app():
    # As Django's test client does: the handler must not close the test's database connection after a request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield PublicPageCache(WSGIHandler())
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_second_anonymous_visit_is_served_from_the_cache_without_a_csrf_token(app):
    make_application()
    status, headers, first = _get(app, "/transparency/regions/astana/")
    assert status.startswith("200") and "X-Kezek-Cache" not in headers
    assert "X-Kezek-Public-Page" not in headers and "Set-Cookie" not in headers
    assert b"csrfmiddlewaretoken" not in first and b"X-CSRFToken" not in first

    status, headers, second = _get(app, "/transparency/regions/astana/")
    assert headers["X-Kezek-Cache"] == "hit" and second == first


def test_languages_are_cached_apart(app):
    _get(app, "/transparency/regions/astana/", language="kk")
    _, headers, english = _get(app, "/transparency/regions/astana/", language="en")
    assert "X-Kezek-Cache" not in headers and b'lang="en"' in english
    _, headers, kazakh = _get(app, "/transparency/regions/astana/", cookie="django_language=kk", language="en")
    assert headers["X-Kezek-Cache"] == "hit" and b'lang="kk"' in kazakh


def test_signed_in_visitors_and_other_methods_bypass_the_cache(app):
    _get(app, "/transparency/regions/astana/")
    _, headers, _ = _get(app, "/transparency/regions/astana/", cookie="sessionid=abc")
    assert "X-Kezek-Cache" not in headers
    status, headers, _ = _get(app, "/transparency/regions/astana/", method="POST")
    assert "X-Kezek-Cache" not in headers and not status.startswith("200")


def test_unmarked_pages_and_errors_are_never_stored(app):
    _get(app, "/transparency/regions/atlantis/")
    _, headers, _ = _get(app, "/transparency/regions/atlantis/")
    assert "X-Kezek-Cache" not in headers  # a 404 is not cached
    _get(app, "/transparency/")  # a redirect: not marked
    _, headers, _ = _get(app, "/transparency/")
    assert "X-Kezek-Cache" not in headers
    _get(app, "/signin/")
    _, headers, _ = _get(app, "/signin/")
    assert "X-Kezek-Cache" not in headers


def test_turned_off_by_setting(app, settings):
    settings.KEZEK_PUBLIC_CACHE_SECONDS = 0
    _get(app, "/transparency/regions/astana/")
    _, headers, _ = _get(app, "/transparency/regions/astana/")
    assert "X-Kezek-Cache" not in headers
