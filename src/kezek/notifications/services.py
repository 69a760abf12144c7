"""Queueing notifications through the transactional outbox (delivery is the worker's job)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from kezek.notifications.models import Channel, OutboxMessage


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
    it is rendered now, in ``language``. The same ``idempotency_key`` never queues a second message.
    """
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    with translation.override(language):
        body = render_to_string(f"notifications/{template}.{channel}.txt", context).strip()
        subject = (
            render_to_string(f"notifications/{template}.subject.txt", context).strip() if channel == Channel.EMAIL else ""
        )
    existing = OutboxMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return OutboxMessage.objects.create(
                idempotency_key=idempotency_key, channel=channel, recipient=recipient, language=language,
                template=template, subject=subject, body=body, user=user,
            )
    except IntegrityError:
        return OutboxMessage.objects.get(idempotency_key=idempotency_key)
