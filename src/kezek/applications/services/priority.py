"""Keeping an application's priority class in step with its benefit rights."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from kezek.applications.models import Application, ApplicationEvent, BenefitClaim
from kezek.applications.services.queue_keys import application_queue_keys_sync
from kezek.audit.services import audit_record
from kezek.domain.queue import PriorityClass


def _effective_class(application: Application, now) -> PriorityClass:
    best = PriorityClass.GENERAL
    for claim in application.claims.all():
        counts = claim.status in (BenefitClaim.Status.CONFIRMED, BenefitClaim.Status.VERIFIED) or (
            # An extraordinary right counts while its certificate is awaited, until the deadline.
            claim.status == BenefitClaim.Status.PENDING
            and claim.priority_class == PriorityClass.EXTRAORDINARY
            and claim.confirm_by is not None
            and claim.confirm_by > now
        )
        if counts:
            best = min(best, PriorityClass(claim.priority_class))
    return best


def application_refresh_priority(*, application: Application, actor: Any | None, reason: str) -> bool:
    """Recompute the class from the rights that count now (rule: registration time never changes).

    The caller holds the application's row lock (``select_for_update``) inside a transaction.
    Returns whether the class changed.
    """
    now = timezone.now()
    new_class = _effective_class(application, now)
    if new_class == application.priority_class:
        return False
    before = {"priority_class": application.priority_class}
    application.priority_class = int(new_class)
    application.priority_since = now
    application.save(update_fields=["priority_class", "priority_since", "updated_at"])
    application_queue_keys_sync(application=application)
    ApplicationEvent.objects.create(
        application=application,
        kind=ApplicationEvent.Kind.CLASS_CHANGED,
        details={"from": before["priority_class"], "to": int(new_class), "reason": reason},
    )
    audit_record(
        actor=actor, action="applications.application.class_changed", obj=application,
        before=before, after={"priority_class": int(new_class), "reason": reason},
    )
    return True
