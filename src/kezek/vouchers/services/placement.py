"""A voucher's life after issue: placed in a section, accepted by the provider, moved, given back, or decided on.

A place in a section is held from the moment the parent chooses it (``Group.enrolled`` + 1, refused by the
database beyond capacity) until the voucher leaves the section. A voucher is never annulled by the system:
only an officer's recorded decision with a reason cancels or suspends it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from kezek.accounts.permissions import require_organisation
from kezek.audit.services import audit_record
from kezek.domain.iin import age_in_years
from kezek.domain.vouchers import (
    SEATED_STATUSES,
    CampaignStatus,
    VoucherStatus,
    VoucherTransitionNotAllowed,
    agreement_hash,
    check_voucher_transition,
    clean_reason,
    holder_key,
    ownership_for_kind,
    section_accepts_age,
)
from kezek.notifications.services import notification_enqueue
from kezek.organisations.models import Group, Organisation
from kezek.rush.models import Pool, PoolClaim
from kezek.rush.services import pool_release
from kezek.vouchers import errors
from kezek.vouchers.models import Voucher, VoucherAgreement, VoucherCampaign, VoucherEvent
from kezek.vouchers.services.campaigns import require_campaign_area
from kezek.vouchers.services.issuing import _issue


def _snapshot(voucher: Voucher) -> dict[str, Any]:
    return {"status": voucher.status, "section_id": voucher.section_id}


def _lock_own(*, actor: Any, voucher_id: Any) -> Voucher:
    """The holder's own voucher, row-locked; anybody else's is 'not found' (nothing leaks)."""
    voucher = (
        Voucher.objects.select_for_update().filter(pk=voucher_id).first()
        if getattr(actor, "is_authenticated", False) and isinstance(voucher_id, int) else None
    )
    if voucher is None or voucher.holder_id != actor.pk:
        raise errors.VoucherNotFound()
    return voucher


def _lock(voucher_id: Any) -> Voucher:
    voucher = Voucher.objects.select_for_update().filter(pk=voucher_id).first() if isinstance(voucher_id, int) else None
    if voucher is None:
        raise errors.VoucherNotFound()
    return voucher


def _set_status(voucher: Voucher, target: str) -> None:
    check_voucher_transition(voucher.status, target)
    voucher.status = target
    voucher.status_changed_at = timezone.now()


def _event(voucher: Voucher, kind: str, *, actor: Any, reason: str = "", **details: Any) -> None:
    VoucherEvent.objects.create(voucher=voucher, kind=kind, actor=actor, reason=reason, details=details)


def _notify(voucher: Voucher, template: str, key: str, **context: Any) -> None:
    holder = voucher.holder
    notification_enqueue(
        channel="sms", recipient=getattr(holder.person, "phone", "") or holder.username, template=template,
        context={"number": voucher.number, **context}, language=holder.preferred_language,
        idempotency_key=f"voucher:{voucher.pk}:{key}", user=holder,
    )


# --- sections --------------------------------------------------------------------------------------------


def check_section_for(*, voucher: Voucher, section: Group) -> None:
    """Refuse a section that cannot take this voucher (rules: approved club section, provider kind, area, age)."""
    campaign = voucher.campaign
    organisation = section.organisation
    if not (
        section.is_active and section.is_approved and organisation.kind == Organisation.Kind.CLUB
        and organisation.status == Organisation.Status.APPROVED
    ):
        raise errors.SectionUnavailable()
    ownership = ownership_for_kind(campaign.kind)
    if organisation.ownership != ownership:
        raise errors.SectionWrongProvider(kind=campaign.kind, ownership=ownership)
    district = organisation.district
    if (campaign.district_id and district.pk != campaign.district_id) or district.region_id != campaign.region_id:
        raise errors.SectionWrongArea(area=(campaign.district or campaign.region).name)
    years = age_in_years(voucher.child.birth_date, max(timezone.localdate(), campaign.period_start))
    if not section_accepts_age(age_min_months=section.age_min_months, age_max_months=section.age_max_months, years=years):
        raise errors.SectionWrongAge(years=years)


def _take_seat(section: Group) -> None:
    # One conditional UPDATE: concurrent choices never fill a section beyond capacity (also a database check).
    if not Group.objects.filter(pk=section.pk, enrolled__lt=F("capacity")).update(enrolled=F("enrolled") + 1):
        raise errors.SectionFull()


def _free_seat(section_id: int | None) -> None:
    if section_id is not None:
        Group.objects.filter(pk=section_id, enrolled__gt=0).update(enrolled=F("enrolled") - 1)


def agreement_text(*, voucher: Voucher, section: Group) -> str:
    """The agreement's text, in Russian and Kazakh as the law requires, fixed per voucher and section."""
    context = {"voucher": voucher, "campaign": voucher.campaign, "section": section, "provider": section.organisation,
               "child": voucher.child}
    with translation.override("ru"):
        return render_to_string("vouchers/agreement.txt", context).strip()


# --- the parent --------------------------------------------------------------------------------------


def voucher_place(*, actor: Any, voucher_id: int, section_id: int, accept_agreement: bool) -> Voucher:
    """Choose a section, or move to another one keeping the voucher (rules: a free place, the parent's agreement)."""
    if not accept_agreement:
        raise errors.AgreementNotAccepted()
    with transaction.atomic():
        voucher = _lock_own(actor=actor, voucher_id=voucher_id)
        section = (
            Group.objects.select_related("organisation__district").filter(pk=section_id).first()
            if isinstance(section_id, int) else None
        )
        if section is None:
            raise errors.SectionNotFound()
        if voucher.section_id == section.pk:
            raise errors.SameSection()
        check_voucher_transition(voucher.status, VoucherStatus.PLACED)
        check_section_for(voucher=voucher, section=section)
        before = _snapshot(voucher)
        moving = voucher.section_id is not None
        _take_seat(section)
        _free_seat(voucher.section_id)
        _set_status(voucher, VoucherStatus.PLACED)
        voucher.section = section
        voucher.save(update_fields=["status", "status_changed_at", "section"])
        text = agreement_text(voucher=voucher, section=section)
        VoucherAgreement.objects.create(
            voucher=voucher, section=section, text=text, text_hash=agreement_hash(text), parent_accepted_at=timezone.now()
        )
        _event(voucher, VoucherEvent.Kind.MOVED if moving else VoucherEvent.Kind.PLACED, actor=actor,
               section_id=section.pk, from_section_id=before["section_id"])
        audit_record(actor=actor, action="vouchers.voucher.move" if moving else "vouchers.voucher.place", obj=voucher,
                     before=before, after=_snapshot(voucher))
    return voucher


def _return_to_campaign(voucher: Voucher, *, actor: Any, reason: str) -> None:
    """A voucher that leaves goes back to its campaign: the rush pool or the queue/lottery's free count."""
    if voucher.pool_claim_id is not None:
        claim = PoolClaim.objects.get(pk=voucher.pool_claim_id)
        if claim.released_at is None:
            pool_release(claim=claim, actor=actor, reason=reason)
    else:
        VoucherCampaign.objects.filter(pk=voucher.campaign_id, held__gt=0).update(held=F("held") - 1)


def _change(voucher: Voucher, target: str, *, actor: Any, event: str, reason: str = "", **details: Any) -> None:
    """Move the voucher to ``target`` (checked by the transition table), leaving its section unless it stays seated;
    record the history event and the audit event in the caller's transaction."""
    before = _snapshot(voucher)
    _set_status(voucher, target)
    fields = ["status", "status_changed_at"]
    if target not in SEATED_STATUSES and voucher.section_id is not None:
        _free_seat(voucher.section_id)
        voucher.section = None
        fields.append("section")
    voucher.save(update_fields=fields)
    _event(voucher, event, actor=actor, reason=reason, **details)
    after = _snapshot(voucher) | ({"reason": reason} if reason else {}) | details
    audit_record(actor=actor, action=f"vouchers.voucher.{event}", obj=voucher, before=before, after=after)


def voucher_release(*, actor: Any, voucher_id: int, reason: str = "") -> Voucher:
    """Give a voucher back (rule: it returns to the campaign; for queue and lottery the next child gets it)."""
    reason = (reason or "").strip()[:500]
    with transaction.atomic():
        voucher = _lock_own(actor=actor, voucher_id=voucher_id)
        _change(voucher, VoucherStatus.RELEASED, actor=actor, event=VoucherEvent.Kind.RELEASED, reason=reason)
        _return_to_campaign(voucher, actor=actor, reason=reason or "released by the parent")
    return voucher


# --- the provider ------------------------------------------------------------------------------------


def _lock_placed_for_provider(*, actor: Any, voucher_id: int) -> Voucher:
    voucher = _lock(voucher_id)
    if voucher.section_id is None:
        raise errors.NothingToAccept()
    require_organisation(actor, voucher.section.organisation)
    if voucher.status != VoucherStatus.PLACED:
        raise errors.NothingToAccept()
    return voucher


def voucher_accept(*, actor: Any, voucher_id: int) -> Voucher:
    """The provider accepts the child and signs the agreement (rule: placed -> active, agreement recorded by both)."""
    with transaction.atomic():
        voucher = _lock_placed_for_provider(actor=actor, voucher_id=voucher_id)
        agreement = voucher.agreements.filter(section_id=voucher.section_id, provider_accepted_at__isnull=True).last()
        agreement.provider_accepted_at = timezone.now()
        agreement.provider_actor = actor
        agreement.save(update_fields=["provider_accepted_at", "provider_actor"])
        _change(voucher, VoucherStatus.ACTIVE, actor=actor, event=VoucherEvent.Kind.ACCEPTED,
                agreement_hash=agreement.text_hash)
        _notify(voucher, "voucher_accepted", f"accepted:{agreement.pk}", section=voucher.section.name)
    return voucher


def voucher_decline(*, actor: Any, voucher_id: int, reason: str) -> Voucher:
    """The provider declines a placement with a reason (rule: the voucher stays the family's, back to issued)."""
    reason = clean_reason(reason)
    with transaction.atomic():
        voucher = _lock_placed_for_provider(actor=actor, voucher_id=voucher_id)
        _change(voucher, VoucherStatus.ISSUED, actor=actor, event=VoucherEvent.Kind.DECLINED, reason=reason,
                section_id=voucher.section_id)
        _notify(voucher, "voucher_declined", f"declined:{voucher.status_changed_at.timestamp()}")
    return voucher


# --- officers' decisions -----------------------------------------------------------------------------


def _lock_for_officer(*, actor: Any, voucher_id: int) -> Voucher:
    voucher = _lock(voucher_id)
    campaign = voucher.campaign
    require_campaign_area(actor, region_id=campaign.region_id, district_id=campaign.district_id)
    return voucher


def voucher_cancel(*, actor: Any, voucher_id: int, reason: str) -> Voucher:
    """Cancel a voucher by a recorded decision (rule: only an officer, only with a reason; never by the system)."""
    reason = clean_reason(reason)
    with transaction.atomic():
        voucher = _lock_for_officer(actor=actor, voucher_id=voucher_id)
        _change(voucher, VoucherStatus.CANCELLED, actor=actor, event=VoucherEvent.Kind.CANCELLED, reason=reason)
        _return_to_campaign(voucher, actor=actor, reason=f"cancelled: {reason}")
        _notify(voucher, "voucher_cancelled", "cancelled", reason=reason)
    return voucher


@dataclass(frozen=True)
class Reinstated:
    """The new voucher and whether it is beyond the campaign's quota (recorded in its audit event)."""

    voucher: Voucher
    beyond_quota: bool


def _hold_quota_place(old: Voucher) -> dict[str, Any] | None:
    """Hold a place of the quota for a reinstated voucher, as its first issue did; None when the quota is gone."""
    if old.stage is not None and old.stage.pool_id is not None:
        pool = old.stage.pool
        if not Pool.objects.filter(pk=pool.pk, taken__lt=F("capacity")).update(taken=F("taken") + 1):
            return None
        claim = PoolClaim.objects.create(
            opening_id=pool.opening_id, pool=pool, holder=holder_key(child_id=old.child_id, kind=old.kind),
            account_id=old.holder_id, idempotency_key=f"reinstate:{old.pk}", result={"reinstates": old.pk},
        )
        return {"stage": old.stage, "pool_claim": claim}
    if not VoucherCampaign.objects.filter(pk=old.campaign_id, held__lt=F("quota")).update(held=F("held") + 1):
        return None
    return {"stage": old.stage} if old.stage is not None else {}


def voucher_reinstate(*, actor: Any, voucher_id: int, reason: str) -> Reinstated:
    """Give a wrongly cancelled voucher back as a new voucher of its campaign (rule: appeal or incident remedy; beyond the
    quota if the quota is gone, recorded as such)."""
    reason = clean_reason(reason)
    with transaction.atomic():
        old = _lock_for_officer(actor=actor, voucher_id=voucher_id)
        if old.status != VoucherStatus.CANCELLED:
            raise VoucherTransitionNotAllowed(current=old.status, target=VoucherStatus.ISSUED)
        campaign = VoucherCampaign.objects.select_for_update().get(pk=old.campaign_id)
        if campaign.status == CampaignStatus.CLOSED or campaign.period_end < timezone.localdate():
            raise errors.CampaignNotOpen()
        links = _hold_quota_place(old)
        voucher = _issue(campaign=campaign, child=old.child, holder=old.holder, **(links if links is not None else {}))
        audit_record(
            actor=actor, action="vouchers.voucher.reinstate", obj=voucher, before={"cancelled_voucher_id": old.pk},
            after={"status": voucher.status, "beyond_quota": links is None, "reason": reason},
        )
    return Reinstated(voucher, links is None)


def voucher_suspend(*, actor: Any, voucher_id: int, reason: str) -> Voucher:
    """Suspend an active voucher by a recorded decision (rule: officer, reason; the place is kept)."""
    reason = clean_reason(reason)
    with transaction.atomic():
        voucher = _lock_for_officer(actor=actor, voucher_id=voucher_id)
        _change(voucher, VoucherStatus.SUSPENDED, actor=actor, event=VoucherEvent.Kind.SUSPENDED, reason=reason)
    return voucher


def voucher_resume(*, actor: Any, voucher_id: int, reason: str = "") -> Voucher:
    """Lift a suspension (rule: officer; the voucher is active again in the same section)."""
    reason = (reason or "").strip()[:1000]
    with transaction.atomic():
        voucher = _lock_for_officer(actor=actor, voucher_id=voucher_id)
        if voucher.status != VoucherStatus.SUSPENDED:
            raise VoucherTransitionNotAllowed(current=voucher.status, target=VoucherStatus.ACTIVE)
        _change(voucher, VoucherStatus.ACTIVE, actor=actor, event=VoucherEvent.Kind.RESUMED, reason=reason)
    return voucher


def voucher_return_to_child(*, actor: Any, voucher_id: int, reason: str, dispute_id: int | None = None) -> Voucher:
    """An upheld dispute: the voucher leaves the section and is the child's again (rule: officer, reason; issued)."""
    reason = clean_reason(reason)
    with transaction.atomic():
        voucher = _lock_for_officer(actor=actor, voucher_id=voucher_id)
        if voucher.status not in SEATED_STATUSES:
            raise VoucherTransitionNotAllowed(current=voucher.status, target=VoucherStatus.ISSUED)
        _change(voucher, VoucherStatus.ISSUED, actor=actor, event=VoucherEvent.Kind.DECLINED, reason=reason,
                section_id=voucher.section_id, dispute_id=dispute_id)
    return voucher


# --- attendance rules (kezek.integrity): the system acts by the region's recorded rule --------------


def voucher_suspend_unattended(*, voucher_id: int, reason: str) -> Voucher:
    """Suspend an active voucher without attendance for N weeks (rule: region's no_attendance_weeks; place kept)."""
    reason = clean_reason(reason)
    with transaction.atomic():
        voucher = _lock(voucher_id)
        _change(voucher, VoucherStatus.SUSPENDED, actor=None, event=VoucherEvent.Kind.SUSPENDED, reason=reason)
    return voucher


def voucher_release_unattended(*, voucher_id: int, reason: str) -> Voucher:
    """After the grace period a suspended voucher goes back to its campaign (rule: region's suspension_grace_days)."""
    reason = clean_reason(reason)
    with transaction.atomic():
        voucher = _lock(voucher_id)
        if voucher.status != VoucherStatus.SUSPENDED:
            raise VoucherTransitionNotAllowed(current=voucher.status, target=VoucherStatus.CANCELLED)
        _change(voucher, VoucherStatus.CANCELLED, actor=None, event=VoucherEvent.Kind.CANCELLED, reason=reason)
        _return_to_campaign(voucher, actor=None, reason=reason)
    return voucher


def vouchers_expire_ended(*, today: dt.date | None = None) -> int:
    """Expire the vouchers of campaigns whose period has ended (worker; rule: the period's end, not a fault)."""
    today = today or timezone.localdate()
    due = Voucher.objects.filter(
        campaign__period_end__lt=today, status__in=[VoucherStatus.ISSUED, *sorted(SEATED_STATUSES)]
    ).values_list("pk", flat=True)
    expired = 0
    for voucher_id in list(due[:200]):
        with transaction.atomic():
            voucher = Voucher.objects.select_for_update().get(pk=voucher_id)
            if voucher.status not in (VoucherStatus.ISSUED, *SEATED_STATUSES):
                continue  # another worker expired it first
            _change(voucher, VoucherStatus.EXPIRED, actor=None, event=VoucherEvent.Kind.EXPIRED)
            expired += 1
    return expired
