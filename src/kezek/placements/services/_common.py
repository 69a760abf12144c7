"""Helpers shared by the placement services: locks, the application's status, messages to the parent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.utils import timezone

from kezek.applications.models import Application, ApplicationEvent
from kezek.applications.services.queue_keys import application_queue_keys_sync
from kezek.audit.services import audit_record
from kezek.domain.queue import check_transition
from kezek.notifications.services import notification_enqueue


def local_tz() -> dt.tzinfo:
    """The zone deadlines count working days in (settings.TIME_ZONE, Asia/Almaty)."""
    return timezone.get_default_timezone()


def shown_deadline(deadline: dt.datetime) -> str:
    """An exclusive deadline as the last minute a parent can still act, in local time (e.g. 19.03.2025 23:59)."""
    return timezone.localtime(deadline - dt.timedelta(minutes=1), local_tz()).strftime("%d.%m.%Y %H:%M")


def lock_application(application_id: int, *, skip_locked: bool = False) -> Application | None:
    """The application row, locked; with ``skip_locked`` None when another worker holds it (PostgreSQL)."""
    queryset = Application.objects.select_related("applicant", "district")
    if skip_locked and connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",)).filter(pk=application_id).first()
    return queryset.select_for_update(of=("self",)).filter(pk=application_id).first()


def application_set_status(
    *, application: Application, target: str, actor: Any | None, reason: str, now: dt.datetime, **details: Any
) -> None:
    """Move a locked application to ``target`` with its queue keys, history event and audit event."""
    check_transition(application.status, target)
    before = application.status
    application.status = target
    application.status_changed_at = now
    application.save(update_fields=["status", "status_changed_at", "reactivations_used", "updated_at"])
    application_queue_keys_sync(application=application)
    ApplicationEvent.objects.create(
        application=application, kind=ApplicationEvent.Kind.STATUS_CHANGED, occurred_at=now,
        details={"from": before, "to": target, "reason": reason, **details},
    )
    audit_record(
        actor=actor, action="applications.application.status_changed", obj=application,
        before={"status": before}, after={"status": target, "reason": reason, **details},
    )


def notification(application: Application, *, template: str, key: str, **context: Any) -> dict[str, Any]:
    """The outbox message for the parent: their channel and language, once per ``key``."""
    email = application.notify_channel == Application.Channel.EMAIL and application.email
    return {
        "channel": "email" if email else "sms",
        "recipient": application.email if email else application.phones[0],
        "template": template,
        "context": {"queue_number": application.queue_number, **context},
        "language": application.notify_language,
        "idempotency_key": f"placements:{key}",
        "user": application.applicant,
    }


def notify(application: Application, *, template: str, key: str, **context: Any) -> None:
    """Tell the parent through the outbox, in the caller's transaction."""
    notification_enqueue(**notification(application, template=template, key=key, **context))
