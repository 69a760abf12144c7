"""Helpers shared by the integrity services: who is told, and how (always through the outbox)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kezek.accounts.models import Role, User
from kezek.notifications.services import notification_enqueue
from kezek.placements.models import Enrolment
from kezek.vouchers.models import Voucher


def local_today(now: dt.datetime | None = None) -> dt.date:
    return timezone.localdate(now or timezone.now())


def next_midnight(day: dt.date) -> dt.datetime:
    """The exclusive deadline for "by the end of ``day``" in the local zone."""
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))


def parent_of(*, enrolment: Enrolment | None = None, voucher: Voucher | None = None) -> User:
    """The account that holds the place: the voucher's holder or the kindergarten application's applicant."""
    return voucher.holder if voucher is not None else enrolment.application.applicant


def notify_parent(user: User, *, template: str, key: str, **context: Any) -> None:
    """An SMS to the parent, in their language, once per ``key``."""
    notification_enqueue(
        channel="sms", recipient=getattr(user.person, "phone", "") or user.username, template=template,
        context=context, language=user.preferred_language, idempotency_key=f"integrity:{key}:{user.pk}", user=user,
    )


def notify_staff(*, organisation_id: int | None = None, district_id: int | None = None, template: str, key: str,
                 **context: Any) -> int:
    """An e-mail to the provider's staff or the district's officers who have an address; returns how many."""
    users = User.objects.filter(is_active=True).exclude(email="")
    if organisation_id is not None:
        users = users.filter(role=Role.PROVIDER_STAFF, organisation_id=organisation_id)
    else:
        users = users.filter(role=Role.OFFICER, district_id=district_id)
    count = 0
    for user in users:
        notification_enqueue(
            channel="email", recipient=user.email, template=template, context=context,
            language=user.preferred_language, idempotency_key=f"integrity:{key}:{user.pk}", user=user,
        )
        count += 1
    return count
