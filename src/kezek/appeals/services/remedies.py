"""Remedies: what a decision in the filer's favour, or an incident restore, does to one wronged item.

Each remedy goes through the owning app's own service (placements ``application_restore`` and
``offer_reopen``, vouchers ``voucher_reinstate``, payments ``statement_adjust``), inside a savepoint: a
refusal by that service (the child holds another voucher, the campaign ended) is recorded as "not possible"
with its reason instead of undoing the decision. A ``RemedyAction`` row records what happened; an item is
restored once, whichever appeal or incident restores it (database constraint).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import transaction

from kezek.appeals.models import Appeal, Incident, RemedyAction
from kezek.audit.services import audit_record
from kezek.domain.appeals import Remedy
from kezek.domain.errors import DomainError, gettext_noop
from kezek.placements.services.applications import application_restore
from kezek.placements.services.offers import offer_reopen
from kezek.vouchers.services.placement import voucher_reinstate

Outcome = RemedyAction.Outcome

NOTE_NO_PLACE_FREE = gettext_noop("The offered place is no longer free: the application keeps its queue position instead.")
NOTE_IN_QUEUE = gettext_noop("The application is already in the queue.")
NOTE_BEYOND_QUOTA = gettext_noop("Reinstated beyond the campaign's quota: the quota was used up.")
NOTE_REVIEW_PRIORITY = gettext_noop("An officer corrects the benefit rights in the document review; the priority follows them.")
NOTE_PAYMENTS_ABSENT = gettext_noop("Payment statements are not available yet: the adjustment waits until they are.")
NOTE_ADJUSTMENT_PENDING = gettext_noop("An officer adds the adjustment line with its amount on the approved statement.")
NOTE_RESTORED_EARLIER = gettext_noop("This was already restored earlier.")


@dataclass(frozen=True)
class Result:
    outcome: str
    new_item_id: int | None = None
    beyond_quota: bool = False
    note: str = ""


def _restore_application(*, actor: Any, item_id: int, reason: str, **_: Any) -> Result:
    from kezek.applications.models import Application

    before = Application.objects.filter(pk=item_id).values_list("status", flat=True).first()
    restored = application_restore(actor=actor, application=item_id, reason=reason)
    if restored.pk == item_id and before == restored.status:
        return Result(Outcome.ALREADY_RESTORED, note=NOTE_IN_QUEUE)
    return Result(Outcome.RESTORED, new_item_id=restored.pk if restored.pk != item_id else None)


def _reopen_offer(*, actor: Any, item_id: int, reason: str, **_: Any) -> Result:
    offer = offer_reopen(actor=actor, offer=item_id, reason=reason)
    if offer is None:
        return Result(Outcome.POSITION_KEPT, note=NOTE_NO_PLACE_FREE)
    return Result(Outcome.RESTORED, new_item_id=offer.pk)


def _reinstate_voucher(*, actor: Any, item_id: int, reason: str, **_: Any) -> Result:
    reinstated = voucher_reinstate(actor=actor, voucher_id=item_id, reason=reason)
    return Result(Outcome.RESTORED, reinstated.voucher.pk, reinstated.beyond_quota, NOTE_BEYOND_QUOTA if reinstated.beyond_quota else "")


def _review_priority(**_: Any) -> Result:
    return Result(Outcome.PENDING, note=NOTE_REVIEW_PRIORITY)


def _payment_adjustment(*, actor: Any, item_id: int, reason: str, amount: Decimal | None = None, **_: Any) -> Result:
    if not apps.is_installed("kezek.payments"):
        return Result(Outcome.PENDING, note=NOTE_PAYMENTS_ABSENT)
    if amount is None:
        return Result(Outcome.PENDING, note=NOTE_ADJUSTMENT_PENDING)
    from kezek.payments.services import statement_adjust

    line = statement_adjust(actor=actor, statement_id=item_id, amount=amount, reason=reason)
    return Result(Outcome.RESTORED, new_item_id=line.pk)


HANDLERS = {
    Remedy.RESTORE_QUEUE_POSITION: _restore_application,
    Remedy.REOPEN_OFFER: _reopen_offer,
    Remedy.REINSTATE_VOUCHER: _reinstate_voucher,
    Remedy.REVIEW_PRIORITY: _review_priority,
    Remedy.PAYMENT_ADJUSTMENT: _payment_adjustment,
}


def remedy_execute(
    *,
    actor: Any,
    remedy: str,
    item_kind: str,
    item_id: int,
    reason: str,
    appeal: Appeal | None = None,
    incident: Incident | None = None,
    amount: Decimal | None = None,
) -> RemedyAction:
    """Execute one remedy through the owning app's service and record it (rule: a wronged item is restored once).

    Runs in the caller's transaction (the decision, or the incident's restore). For an incident an item already
    handled by it returns that record unchanged, so a second restore changes nothing.
    """
    if incident is not None:
        existing = RemedyAction.objects.filter(incident=incident, item_kind=item_kind, item_id=item_id).first()
        if existing is not None:
            return existing
    if RemedyAction.objects.filter(item_kind=item_kind, item_id=item_id, outcome=Outcome.RESTORED).exists():
        result = Result(Outcome.ALREADY_RESTORED, note=NOTE_RESTORED_EARLIER)
    else:
        try:
            with transaction.atomic():
                result = HANDLERS[Remedy(remedy)](actor=actor, item_id=item_id, reason=reason, amount=amount)
        except DomainError as exc:
            result = Result(Outcome.NOT_POSSIBLE, note=exc.render(exc.message))
    action = RemedyAction.objects.create(
        appeal=appeal, incident=incident, item_kind=item_kind, item_id=item_id, remedy=remedy, outcome=result.outcome,
        new_item_id=result.new_item_id, beyond_quota=result.beyond_quota, note=result.note, executed_by=actor,
    )
    audit_record(
        actor=actor, action="appeals.remedy.execute", obj=action,
        after={"appeal_id": getattr(appeal, "pk", None), "incident_id": getattr(incident, "pk", None), "item_kind": item_kind,
               "item_id": item_id, "remedy": remedy, "outcome": result.outcome, "new_item_id": result.new_item_id,
               "beyond_quota": result.beyond_quota},
    )
    return action
