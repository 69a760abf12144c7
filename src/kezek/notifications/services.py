"""The transactional outbox: queueing notifications with the change that causes them, and delivering them.

Delivery is at-least-once. A worker leases due messages, sends each outside any database transaction,
then records the result only if it still holds the lease. A worker killed mid-send leaves the message
pending; when the lease ends another worker sends it again under the same idempotency key, which the
gateway (or the mail receiver, through the Message-ID) uses to deliver it once.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.constants import OnConflict
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from kezek.accounts.models import Role
from kezek.accounts.permissions import require_role
from kezek.audit.services import audit_record
from kezek.core.leases import claim_rows
from kezek.domain.backoff import retry_delay_seconds
from kezek.domain.errors import Conflict, gettext_noop
from kezek.notifications import backends
from kezek.notifications.models import Channel, OutboxMessage

log = logging.getLogger("kezek.notifications")

MAX_ERROR_CHARS = 2000


class OutboxMessageNotFailed(Conflict):
    code = "outbox_message_not_failed"
    message = gettext_noop("Only a failed message can be sent again.")
    hint = gettext_noop("Pending messages are retried automatically; sent messages were already delivered.")


def _supported_language(language: str) -> str:
    try:
        return translation.get_supported_language_variant(language or settings.LANGUAGE_CODE)
    except LookupError:  # a stale or foreign preference must not stop the message: use the default language
        return settings.LANGUAGE_CODE


def notification_enqueue(
    *,
    channel: str,
    recipient: str,
    template: str,
    context: dict[str, Any],
    language: str,
    idempotency_key: str,
    user: Any | None = None,
) -> OutboxMessage:
    """Write a rendered message to the outbox in the caller's transaction (rule: no send outside the outbox).

    ``template`` names ``notifications/<template>.sms.txt`` or ``.email.txt`` (+ ``.subject.txt``);
    it is rendered now, in ``language`` (kk, ru or en; anything else falls back to the default language).
    The same ``idempotency_key`` never queues a second message.
    """
    message = _render_message(
        channel=channel, recipient=recipient, template=template, context=context, language=language,
        idempotency_key=idempotency_key, user=user,
    )
    # One INSERT … ON CONFLICT DO NOTHING RETURNING id: no read first and no savepoint; only a key already
    # queued (no row returned) costs a second statement, to answer the message stored under it.
    manager = OutboxMessage._base_manager
    fields = [f for f in OutboxMessage._meta.concrete_fields if not f.primary_key]
    inserted = manager._insert(
        [message], fields=fields, returning_fields=OutboxMessage._meta.db_returning_fields,
        using=manager.db, on_conflict=OnConflict.IGNORE,
    )
    if not inserted:
        return OutboxMessage.objects.get(idempotency_key=idempotency_key)
    for value, returned in zip(inserted[0], OutboxMessage._meta.db_returning_fields, strict=True):
        setattr(message, returned.attname, value)
    message._state.adding = False
    message._state.db = manager.db
    return message


def _render_message(
    *, channel: str, recipient: str, template: str, context: dict[str, Any], language: str, idempotency_key: str, user: Any | None
) -> OutboxMessage:
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    language = _supported_language(language)
    with translation.override(language):
        body = render_to_string(f"notifications/{template}.{channel}.txt", context, using="text").strip()
        subject = (
            render_to_string(f"notifications/{template}.subject.txt", context, using="text").strip()
            if channel == Channel.EMAIL else ""
        )
    return OutboxMessage(
        idempotency_key=idempotency_key, channel=channel, recipient=recipient, language=language,
        template=template, subject=subject, body=body, user=user,
    )


def notification_enqueue_many(messages: list[dict[str, Any]]) -> int:
    """``notification_enqueue`` for many messages in one INSERT (e.g. a round's thousands of offers).

    Each item has ``notification_enqueue``'s keyword arguments; keys already queued are skipped.
    Returns how many messages were given.
    """
    OutboxMessage.objects.bulk_create([_render_message(**m) for m in messages], batch_size=500, ignore_conflicts=True)
    return len(messages)


def _send(message: OutboxMessage) -> str:
    if message.channel == Channel.EMAIL:
        return backends.send_email(
            to=message.recipient, subject=message.subject, body=message.body,
            idempotency_key=message.idempotency_key, language=message.language,
        )
    return backends.get_sms_backend().send_sms(
        to=message.recipient, text=message.body, idempotency_key=message.idempotency_key
    )


def _held(message: OutboxMessage, owner: str):
    # Only the lease holder may record a result: a worker whose lease ran out and was taken over
    # must not overwrite what the new holder recorded.
    return OutboxMessage.objects.filter(pk=message.pk, status=OutboxMessage.Status.PENDING, lease_owner=owner)


def _mark_sent(message: OutboxMessage, owner: str, provider_message_id: str) -> None:
    _held(message, owner).update(
        status=OutboxMessage.Status.SENT, sent_at=timezone.now(), provider_message_id=provider_message_id[:100],
        leased_until=None, lease_owner="", last_error="",
    )


def _mark_failed(message: OutboxMessage, owner: str, error: str) -> None:
    with transaction.atomic():
        if _held(message, owner).update(
            status=OutboxMessage.Status.FAILED, last_error=error[:MAX_ERROR_CHARS], leased_until=None, lease_owner=""
        ):
            audit_record(
                actor=None, action="notifications.outbox_message.fail", obj=message,
                before={"status": OutboxMessage.Status.PENDING},
                after={"status": OutboxMessage.Status.FAILED, "attempts": message.attempts, "error": error[:200]},
            )


def _schedule_retry(message: OutboxMessage, owner: str, error: str, requested: float | None) -> None:
    delay = retry_delay_seconds(message.attempts, requested=requested)
    _held(message, owner).update(
        available_at=timezone.now() + timedelta(seconds=delay), last_error=error[:MAX_ERROR_CHARS],
        leased_until=None, lease_owner="",
    )


def _deliver_one(message: OutboxMessage, owner: str, max_attempts: int) -> None:
    if message.attempts > max_attempts:
        # The previous holder died during the last allowed attempt: do not send once more than allowed.
        _mark_failed(message, owner, f"gave up after {max_attempts} attempts (the last one was interrupted)")
        return
    try:
        provider_message_id = _send(message)
    except backends.PermanentDeliveryError as exc:
        _mark_failed(message, owner, str(exc))
    except Exception as exc:  # temporary by default: a bug or a misconfiguration is fixed, then the retry succeeds
        if not isinstance(exc, backends.TemporaryDeliveryError):
            log.exception("outbox message %s: unexpected error while sending", message.pk)
        error = f"{type(exc).__name__}: {exc}"
        if message.attempts >= max_attempts:
            _mark_failed(message, owner, f"gave up after {message.attempts} attempts; last error: {error}")
        else:
            _schedule_retry(message, owner, error, getattr(exc, "retry_after", None))
    else:
        _mark_sent(message, owner, provider_message_id)


def outbox_deliver_batch(*, owner: str, limit: int = 50) -> int:
    """Lease up to ``limit`` due messages and send each (rule: at-least-once delivery with backoff).

    Returns how many messages were attempted. Call it outside a transaction: nothing is held open
    while a message is on the wire.
    """
    due = OutboxMessage.objects.filter(
        status=OutboxMessage.Status.PENDING, available_at__lte=timezone.now()
    ).order_by("available_at", "pk")
    claimed = claim_rows(queryset=due, owner=owner, lease_seconds=settings.KEZEK_OUTBOX_LEASE_SECONDS, limit=limit)
    if not claimed:
        return 0
    # Counted when the attempt starts, so a message that kills its worker every time still runs out of attempts.
    OutboxMessage.objects.filter(pk__in=[m.pk for m in claimed], lease_owner=owner).update(attempts=F("attempts") + 1)
    max_attempts = settings.KEZEK_OUTBOX_MAX_ATTEMPTS
    for message in claimed:
        message.attempts += 1
        _deliver_one(message, owner, max_attempts)
    return len(claimed)


def outbox_requeue(*, actor: Any, message: OutboxMessage) -> OutboxMessage:
    """Send a failed message again with a fresh set of attempts (rule: only administrators; audited)."""
    require_role(actor, Role.ADMIN)
    with transaction.atomic():
        locked = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        if locked.status != OutboxMessage.Status.FAILED:
            raise OutboxMessageNotFailed()
        before = {"status": locked.status, "attempts": locked.attempts, "last_error": locked.last_error}
        locked.status = OutboxMessage.Status.PENDING
        locked.attempts = 0
        locked.available_at = timezone.now()
        locked.leased_until = None
        locked.lease_owner = ""
        locked.save(update_fields=["status", "attempts", "available_at", "leased_until", "lease_owner"])
        audit_record(
            actor=actor, action="notifications.outbox_message.requeue", obj=locked,
            before=before, after={"status": locked.status, "attempts": 0},
        )
    return locked
