"""Liveness (/health) and readiness (/ready) for load balancers and orchestrators.

Liveness only says the process answers, so a database outage never gets healthy app processes
restarted; readiness checks what a request needs (database, cache, Redis, the schema) so that a
balancer stops sending traffic to a process that cannot serve it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from functools import cache

from django.core.cache import cache as django_cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from kezek.core.redis import redis_client, redis_enabled

log = logging.getLogger("kezek.health")

READY_RETRY_AFTER_SECONDS = 5


class CheckFailed(RuntimeError):
    """A readiness check's own finding, safe to show in the public body (unlike a driver's error text)."""


@require_safe
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers; touches neither the database nor the cache."""
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    key = f"kezek:ready:{secrets.token_hex(8)}"
    django_cache.set(key, "1", timeout=10)
    try:
        if django_cache.get(key) != "1":
            raise CheckFailed("the cache did not return the value just written")
    finally:
        django_cache.delete(key)


def _check_redis() -> None:
    if not redis_client().ping():
        raise CheckFailed("Redis did not answer PING")


@cache
def _migrations_on_disk() -> tuple[frozenset[tuple[str, str]], dict[tuple[str, str], tuple[tuple[str, str], ...]]]:
    # The code's migrations never change while a process runs; reading them from disk once keeps /ready cheap.
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    replaced = {key: tuple(migration.replaces) for key, migration in loader.replacements.items()}
    return frozenset(loader.graph.nodes), replaced


def unapplied_migrations() -> list[str]:
    """The code's migrations that the database has not applied (a squash counts when all it replaces are)."""
    from django.db.migrations.recorder import MigrationRecorder

    applied = set(MigrationRecorder(connection).applied_migrations())
    nodes, replaced = _migrations_on_disk()
    missing = [
        key for key in nodes
        if key not in applied and not (key in replaced and all(r in applied for r in replaced[key]))
    ]
    return sorted(f"{app}.{name}" for app, name in missing)


def _check_migrations() -> None:
    missing = unapplied_migrations()
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise CheckFailed(f"{len(missing)} migration(s) not applied: {shown}")


def readiness_checks() -> dict[str, Callable[[], None]]:
    """The checks /ready runs, by name; Redis only when REDIS_URL is configured."""
    checks: dict[str, Callable[[], None]] = {"database": _check_database, "cache": _check_cache}
    if redis_enabled():
        checks["redis"] = _check_redis
    checks["migrations"] = _check_migrations
    return checks


@require_safe
@never_cache
def ready(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when every check passes, else 503 naming each failed check and why."""
    results: dict[str, dict[str, str]] = {}
    for name, check in readiness_checks().items():
        try:
            check()
        except Exception as exc:  # any failure means not ready; the body and the log say which and why
            log.warning("readiness check %s failed: %s: %s", name, type(exc).__name__, exc)
            # A driver's message may name hosts and users: the body names only its kind, the log has the rest.
            error = str(exc) if isinstance(exc, CheckFailed) else type(exc).__name__
            results[name] = {"status": "fail", "error": error[:500]}
        else:
            results[name] = {"status": "ok"}
    failed = sorted(name for name, result in results.items() if result["status"] != "ok")
    body = {"status": "fail" if failed else "ok", "failed": failed, "checks": results}
    response = JsonResponse(body, status=503 if failed else 200)
    if failed:
        response["Retry-After"] = str(READY_RETRY_AFTER_SECONDS)
    return response
