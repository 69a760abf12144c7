"""Keeping the preference rows' copies of their application's queue-order keys in step with it.

``ApplicationPreference`` carries the application's district, age group, status, priority class and
registration time so that a position among one kindergarten's choosers is a single range COUNT over
``preference_queue_order_idx``, with no join. Every service that changes one of these on an application,
or writes its preference rows, goes through this module in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kezek.applications.models import Application, ApplicationPreference


def preference_queue_keys(application: Application) -> dict[str, Any]:
    """The columns a new preference row copies from its application."""
    return {
        "district_id": application.district_id,
        "age_group": application.age_group,
        "status": application.status,
        "priority_class": application.priority_class,
        "registered_at": application.registered_at,
    }


def preference_rows(*, application: Application, organisation_ids: Iterable[int]) -> list[ApplicationPreference]:
    """Unsaved preference rows in rank order (1 first), with the application's queue-order keys."""
    keys = preference_queue_keys(application)
    return [
        ApplicationPreference(application=application, organisation_id=org_id, rank=rank, **keys)
        for rank, org_id in enumerate(organisation_ids, start=1)
    ]


def application_queue_keys_sync(*, application: Application) -> None:
    """Copy the application's queue-order keys onto its preference rows (rule: per-kindergarten positions follow the queue order).

    One UPDATE; call it in the transaction that changed the application's status, class, district or age group.
    """
    ApplicationPreference.objects.filter(application_id=application.pk).update(**preference_queue_keys(application))


def applications_queue_status_sync(*, application_ids: Iterable[int], status: str) -> int:
    """``application_queue_keys_sync`` for many applications whose only changed key is the status (one UPDATE).

    Used when a round offers thousands of places at once; the caller has set ``status`` on the applications.
    """
    return ApplicationPreference.objects.filter(application_id__in=list(application_ids)).update(status=status)
