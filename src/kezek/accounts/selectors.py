"""Reading accounts and sessions."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from kezek.accounts.models import User, UserSession

_DB_SESSION_ENGINES = {"django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"}


def session_list(*, user: User, current_key: str | None = None) -> list[UserSession]:
    """The account's active sessions, newest first; ``is_current`` marks the one of ``current_key``."""
    sessions = UserSession.objects.filter(user=user, ended_at__isnull=True).order_by("-created_at", "-pk")
    if settings.SESSION_ENGINE in _DB_SESSION_ENGINES:
        # A session that simply expired was never ended; it is not active either.
        from django.contrib.sessions.models import Session

        alive = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
        sessions = sessions.filter(session_key__in=alive)
    rows = list(sessions)
    for row in rows:
        row.is_current = bool(current_key) and row.session_key == current_key
    return rows
