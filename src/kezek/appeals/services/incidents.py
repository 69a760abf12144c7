"""Incidents: an administrator records a window in which the site failed and restores, in one action, what it took."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db import transaction
from django.utils import timezone

from kezek.accounts.models import Role
from kezek.accounts.permissions import require_role
from kezek.appeals import selectors
from kezek.appeals.models import Incident
from kezek.appeals.services.remedies import remedy_execute
from kezek.audit.services import audit_record
from kezek.domain.appeals import IncidentNotFound, Remedy, check_incident


def _window(incident: Incident) -> str:
    tz = timezone.get_default_timezone()
    return " – ".join(timezone.localtime(t, tz).strftime("%d.%m.%Y %H:%M") for t in (incident.starts_at, incident.ends_at))


def incident_record(
    *, actor: Any, starts_at: dt.datetime, ends_at: dt.datetime, description: str, now: dt.datetime | None = None
) -> Incident:
    """Record an incident window and what failed (rules: administrators only; a past window; public on the timeline)."""
    require_role(actor, Role.ADMIN)
    description = check_incident(starts_at=starts_at, ends_at=ends_at, now=now or timezone.now(), description=description)
    with transaction.atomic():
        incident = Incident.objects.create(starts_at=starts_at, ends_at=ends_at, description=description, recorded_by=actor)
        audit_record(
            actor=actor, action="incident.recorded", obj=incident,
            after={"kind": "incident", "title": description[:200], "summary": _window(incident), "status": "recorded",
                   "starts_at": starts_at, "ends_at": ends_at},
        )
    return incident


def incident_restore(*, actor: Any, incident_id: int, reason: str = "") -> Counter[str]:
    """Restore everything the incident took, in one audited action (rules: each item once; expired offers reopen if
    their place is still free, else the position is kept; cancelled vouchers are reinstated, beyond the quota if gone).

    A second call changes nothing. Returns how many items ended in each outcome by this call.
    """
    require_role(actor, Role.ADMIN)
    with transaction.atomic():
        # The row lock serialises two administrators restoring the same incident.
        incident = Incident.objects.select_for_update().filter(pk=incident_id).first() if isinstance(incident_id, int) else None
        if incident is None:
            raise IncidentNotFound()
        items = selectors.incident_items(incident=incident)
        note = (reason or "").strip()[:500] or f"incident #{incident.pk}: {incident.description[:200]}"
        outcomes: Counter[str] = Counter()
        work = [("offer", o.pk, Remedy.REOPEN_OFFER) for o in items.offers] + [
            ("voucher", v.pk, Remedy.REINSTATE_VOUCHER) for v in items.vouchers
        ]
        for item_kind, item_id, remedy in work:
            if (item_kind, item_id) in items.done:
                continue
            action = remedy_execute(actor=actor, remedy=remedy, item_kind=item_kind, item_id=item_id, reason=note, incident=incident)
            outcomes[action.outcome] += 1
        if not outcomes:
            return outcomes
        incident.restored_at = timezone.now()
        incident.restored_by = actor
        incident.save(update_fields=["restored_at", "restored_by"])
        summary = ", ".join(f"{outcome}: {count}" for outcome, count in sorted(outcomes.items()))
        audit_record(
            actor=actor, action="incident.restored", obj=incident,
            after={"title": incident.description[:200], "summary": f"{_window(incident)}; {summary}", "status": "restored",
                   "outcomes": dict(outcomes)},
        )
    return outcomes
