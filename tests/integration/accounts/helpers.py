"""Reading sign-in codes from the outbox, as the parent would read them from the SMS."""

from __future__ import annotations

import re

from kezek.notifications.models import OutboxMessage


def sms_to(phone: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(channel="sms", recipient=phone).order_by("pk"))


def last_code(phone: str) -> str:
    messages = sms_to(phone)
    assert messages, f"no SMS queued for {phone}"
    match = re.search(r"\b(\d{6})\b", messages[-1].body)
    assert match, messages[-1].body
    return match.group(1)
