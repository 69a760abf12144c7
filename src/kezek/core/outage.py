"""Database unreachable: answer 503 with Retry-After (problem JSON under /api/, a short page elsewhere), never 500.

A request fails this way when the database, or Redis when REDIS_URL is set, cannot be connected to or
drops the connection mid-request (a restart, a failover). Nothing was changed by it, so the client may simply try again later; the
process itself recovers on its own: ``CONN_HEALTH_CHECKS`` makes the next request open a fresh
connection. Errors that only look alike (a lock or statement timeout, a deadlock, a constraint) are
not outages and keep their own handling.

``server_error`` is the site's ``handler500``: Django calls it for an exception that escaped a view or
a middleware (sessions and sign-in load their rows before any view runs), with the exception still in
``sys.exc_info()``. The API's own handlers (``config/api.py``) call ``database_unavailable_response``.
"""

from __future__ import annotations

import logging
import sqlite3
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import requires_csrf_token
from django.views.defaults import server_error as django_server_error

from kezek.core.errors import problem_response
from kezek.core.middleware import API_PREFIX

log = logging.getLogger("kezek.outage")

# PostgreSQL: the server is shutting down or restarting (admin_shutdown, crash_shutdown, cannot_connect_now).
SHUTDOWN_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})
CONNECTION_SQLSTATE_CLASS = "08"  # connection_exception and its subclasses


def is_database_unavailable(exc: BaseException | None) -> bool:
    """True when ``exc`` says the database (or the configured Redis) could not be reached or dropped the
    connection, not a query's fault."""
    if _is_redis_unreachable(exc):
        return True
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return False
    cause = exc.__cause__
    if isinstance(cause, sqlite3.Error):
        # The embedded database's only outage: its file (or directory) cannot be opened.
        return "unable to open database file" in str(cause)
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is None:
        # psycopg reports a refused or broken connection without an SQLSTATE; Django's own
        # "connection already closed" InterfaceError has no driver cause at all.
        return cause is None or _is_psycopg_connection_error(cause)
    return sqlstate in SHUTDOWN_SQLSTATES or sqlstate.startswith(CONNECTION_SQLSTATE_CLASS)


def _is_redis_unreachable(exc: BaseException | None) -> bool:
    # Redis holds the shared rate counters, cache and waiting rooms when REDIS_URL is set: unreachable, it is
    # an outage like the database's (redis-py's TimeoutError is not a ConnectionError, hence both).
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return isinstance(exc, (RedisConnectionError, RedisTimeoutError))


def _is_psycopg_connection_error(cause: BaseException) -> bool:
    try:
        import psycopg
    except ImportError:  # SQLite-only installs
        return False
    return isinstance(cause, (psycopg.OperationalError, psycopg.InterfaceError))


def retry_after_seconds() -> int:
    """How long clients are asked to wait before trying again (``KEZEK_DATABASE_RETRY_AFTER_SECONDS``)."""
    return int(getattr(settings, "KEZEK_DATABASE_RETRY_AFTER_SECONDS", 5))


def _log_outage(request: HttpRequest, exc: BaseException) -> None:
    # One warning line per failed request, without a stack trace: an outage fails every request at once.
    first_line = (str(exc).strip().splitlines() or [""])[0][:300]
    log.warning(
        "database unavailable: %s: %s", type(exc).__name__, first_line,
        extra={"request_id": getattr(request, "request_id", None), "path": request.path},
    )


def database_unavailable_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """503 with Retry-After: problem JSON under /api/, the translated outage page elsewhere (rule: never a 500)."""
    _log_outage(request, exc)
    seconds = retry_after_seconds()
    # The failure may come before or after the middleware that activates the language: choose it again here.
    with translation.override(translation.get_language_from_request(request)):
        if request.path.startswith(API_PREFIX):
            response: HttpResponse = problem_response(
                request, status=503, code="database_unavailable",
                title=_("The service is temporarily unavailable."),
                detail=ngettext(
                    "Kezek cannot reach its database at the moment. Try again in %(seconds)s second.",
                    "Kezek cannot reach its database at the moment. Try again in %(seconds)s seconds.", seconds,
                ) % {"seconds": seconds},
                headers={"Retry-After": str(seconds)},
            )
        else:
            # Rendered without the request: the page must not touch the database (no user, no session).
            body = loader.get_template("503.html").render({"retry_after": seconds})
            response = HttpResponse(body, status=503)
            response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    # Django would log the 5xx again with the full stack trace; the warning above is the one record.
    response._has_been_logged = True
    return response


@requires_csrf_token
def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """The site's handler500: an unreachable database answers 503 with Retry-After, anything else Django's 500."""
    exc = sys.exc_info()[1]
    if is_database_unavailable(exc):
        return database_unavailable_response(request, exc)
    return django_server_error(request, template_name=template_name)
