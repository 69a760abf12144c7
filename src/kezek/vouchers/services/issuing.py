"""Getting a voucher: a first_come claim through the rush, or an application that the queue or the lottery serves.

Every path checks the same things first (legal representative, age from the IIN, area, no voucher of the
kind held) and ends in ``_issue``, whose row is guarded by the one-held-voucher-per-child-and-kind constraint.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from kezek.accounts.models import Role
from kezek.audit.services import audit_record
from kezek.domain import lottery
from kezek.domain.iin import parse_iin
from kezek.domain.queue import PriorityClass, class_for_benefits
from kezek.domain.vouchers import (
    HELD_STATUSES,
    CampaignStatus,
    Waiting,
    check_child_age,
    holder_key,
    lottery_order,
)
from kezek.notifications.services import notification_enqueue
from kezek.people.models import Person
from kezek.people.registry import get_registry
from kezek.people.selectors import people_parent_and_child
from kezek.rush.errors import SoldOut
from kezek.rush.models import PoolClaim
from kezek.rush.services import claim_audit_fields, pool_claim
from kezek.vouchers import errors
from kezek.vouchers.models import CampaignStage, Voucher, VoucherApplication, VoucherCampaign, VoucherEvent

ISSUE_BATCH = 200


@dataclass(frozen=True)
class ClaimResult:
    """The voucher and whether this call issued it (False: the answer to a replay of the same key)."""

    voucher: Voucher
    created: bool


@dataclass(frozen=True)
class ApplyResult:
    application: VoucherApplication
    created: bool


# --- who may have a voucher -------------------------------------------------------------------------------


def _campaign(campaign_id: Any) -> VoucherCampaign:
    campaign = (
        VoucherCampaign.objects.select_related("region", "district").filter(pk=campaign_id).first()
        if isinstance(campaign_id, int) else None
    )
    if campaign is None:
        raise errors.CampaignNotFound()
    return campaign


def _area_name(campaign: VoucherCampaign) -> str:
    return (campaign.district or campaign.region).name


def _require_parent(actor: Any) -> None:
    # Checked before anything about the campaign, so staff accounts are refused the same way whatever it is.
    if not getattr(actor, "is_authenticated", False) or actor.role != Role.PARENT or actor.person_id is None:
        raise errors.NotAParent()


def eligible_child(*, actor: Any, campaign: VoucherCampaign, child_iin: str) -> Person:
    """The child a parent may claim for (rules: legal representative, age on the period start from the IIN, area)."""
    _require_parent(actor)
    iin = parse_iin(child_iin or "")
    registry = get_registry()
    if registry.person_by_iin(iin.value) is None:
        raise errors.ChildNotInRegistry()
    parent, child = people_parent_and_child(parent_id=actor.person_id, child_iin=iin.value)
    if not registry.is_legal_representative(adult_iin=parent.iin, child_iin=iin.value):
        raise errors.NotLegalRepresentative()
    check_child_age(birth_date=iin.birth_date, period_start=campaign.period_start,
                    min_age=campaign.min_age, max_age=campaign.max_age)
    if child is None:
        raise Person.DoesNotExist(f"registry child {iin.value} has no person row")
    # A child whose registry district is unknown is not refused: the area rule needs a known address.
    if child.district_id is not None:
        outside = (campaign.district_id is not None and child.district_id != campaign.district_id) or (
            child.district.region_id != campaign.region_id
        )
        if outside:
            raise errors.ChildOutsideArea(area=_area_name(campaign))
    return child


def uses_classes(campaign: VoucherCampaign) -> bool:
    """The queue always orders by priority class; a lottery only when the campaign says so."""
    return campaign.policy == VoucherCampaign.Policy.QUEUE or campaign.use_priority_classes


def _refuse_held(*, child: Person, kind: str) -> None:
    if Voucher.objects.filter(child=child, kind=kind, status__in=sorted(HELD_STATUSES)).exists():
        raise errors.VoucherHeld(kind=kind)


def _notify_issued(voucher: Voucher) -> None:
    holder = voucher.holder
    phone = getattr(holder.person, "phone", "") or holder.username
    notification_enqueue(
        channel="sms", recipient=phone, template="voucher_issued",
        context={"number": voucher.number, "child": voucher.child.first_name, "campaign": voucher.campaign.title},
        language=holder.preferred_language, idempotency_key=f"voucher:{voucher.pk}:issued", user=holder,
    )


def _claim_result(voucher: Voucher) -> dict[str, Any]:
    return {"voucher_id": voucher.pk, "number": voucher.number}


def _issue(
    *, campaign: VoucherCampaign, child: Person, holder: Any, claim: PoolClaim | None = None, request_id: str = "", **links: Any
) -> Voucher:
    """Create the voucher row (rule: one held voucher per child and kind, kept by a database constraint).

    With ``claim`` (a first_come claim) the voucher is that claim's place and its audit event records the claim
    too, the claim's only event; a refusal then undoes the whole claim, so no savepoint is needed around the INSERT.
    """
    try:
        with transaction.atomic(savepoint=claim is None):
            voucher = Voucher.objects.create(
                campaign=campaign, kind=campaign.kind, child=child, holder=holder,
                **(links | {"pool_claim": claim} if claim is not None else links),
            )
    except IntegrityError:
        raise errors.VoucherHeld(kind=campaign.kind) from None
    VoucherEvent.objects.create(voucher=voucher, kind=VoucherEvent.Kind.ISSUED, details={"policy": campaign.policy})
    _notify_issued(voucher)
    after = {"campaign_id": campaign.pk, "child_id": child.pk, "kind": campaign.kind, "status": voucher.status}
    if claim is not None:
        after["claim"] = claim_audit_fields(claim) | {"result": _claim_result(voucher)}
    audit_record(actor=holder, action="vouchers.voucher.issue", obj=voucher, after=after, request_id=request_id)
    return voucher


# --- first come: through the waiting room ---------------------------------------------------------------


def _is_replay(*, actor: Any, idempotency_key: str) -> bool:
    return getattr(actor, "is_authenticated", False) and PoolClaim.objects.filter(
        account_id=actor.pk, idempotency_key=idempotency_key
    ).exists()


def voucher_claim(
    *,
    actor: Any,
    campaign_id: int,
    stage_number: int,
    child_iin: str,
    idempotency_key: str,
    token: str | None,
    request_id: str = "",
    now: dt.datetime | None = None,
) -> ClaimResult:
    """Claim a first_come voucher (rules: waiting-room pass, idempotent key, stage share never exceeded, one per child)."""
    _require_parent(actor)
    # The stage with its campaign and pool in one read; without a stage, the campaign alone says what is wrong.
    stage = (
        CampaignStage.objects.select_related("campaign__region", "campaign__district", "pool__opening")
        .filter(campaign_id=campaign_id, number=stage_number).first()
        if isinstance(campaign_id, int) and isinstance(stage_number, int) else None
    )
    campaign = stage.campaign if stage is not None else _campaign(campaign_id)
    if campaign.policy != VoucherCampaign.Policy.FIRST_COME:
        raise errors.WrongPolicy(policy=campaign.policy)
    if stage is None or stage.pool is None:
        raise errors.StageNotFound()
    if campaign.status not in (CampaignStatus.ANNOUNCED, CampaignStatus.OPEN):
        raise errors.CampaignNotOpen()
    now = now or timezone.now()
    if now < stage.opens_at:
        raise errors.StageNotOpen()
    if stage.pool.taken >= stage.pool.capacity and not _is_replay(actor=actor, idempotency_key=idempotency_key):
        # After the sell-out most claims end here: no registry look-ups for an answer that cannot change.
        raise SoldOut()
    child = eligible_child(actor=actor, campaign=campaign, child_iin=child_iin)
    holder = holder_key(child_id=child.pk, kind=campaign.kind)

    issued: list[Voucher] = []

    def on_claim(claim) -> dict[str, Any]:
        voucher = _issue(campaign=campaign, child=child, holder=actor, stage=stage, claim=claim, request_id=request_id)
        issued.append(voucher)
        return _claim_result(voucher)

    outcome = pool_claim(
        pool=stage.pool, account=actor, holder=holder, idempotency_key=idempotency_key, token=token,
        on_claim=on_claim, request_id=request_id, now=now.timestamp(), hook_audits=True,
    )
    if outcome.created:
        return ClaimResult(issued[-1], True)  # just written, with its campaign and child: nothing to read back
    voucher = Voucher.objects.select_related("campaign", "child").get(pk=outcome.result["voucher_id"])
    return ClaimResult(voucher, False)


# --- lottery and queue: applications ------------------------------------------------------------------


def voucher_apply(
    *, actor: Any, campaign_id: int, child_iin: str, idempotency_key: str, now: dt.datetime | None = None
) -> ApplyResult:
    """Apply for a lottery or queue voucher (rules: while applications are open, once per child, class from benefits)."""
    key = (idempotency_key or "").strip()
    if not key or len(key) > 100:
        raise errors.InvalidIdempotencyKey()
    if getattr(actor, "is_authenticated", False):
        replayed = VoucherApplication.objects.filter(applicant_id=actor.pk, idempotency_key=key).first()
        if replayed is not None:
            return ApplyResult(replayed, False)
    campaign = _campaign(campaign_id)
    if campaign.policy == VoucherCampaign.Policy.FIRST_COME:
        raise errors.WrongPolicy(policy=campaign.policy)
    now = now or timezone.now()
    first = campaign.stages.order_by("opens_at").first()
    if campaign.status not in (CampaignStatus.ANNOUNCED, CampaignStatus.OPEN) or first is None or now < first.opens_at:
        raise errors.CampaignNotOpen()
    if campaign.policy == VoucherCampaign.Policy.LOTTERY and (campaign.drawn_at or now >= campaign.applications_close_at):
        raise errors.ApplicationsClosed()
    child = eligible_child(actor=actor, campaign=campaign, child_iin=child_iin)
    _refuse_held(child=child, kind=campaign.kind)
    priority = PriorityClass.GENERAL
    if uses_classes(campaign):
        registry = get_registry()
        priority = class_for_benefits(registry.benefits_of(child.iin) | registry.benefits_of(actor.person.iin))
    try:
        with transaction.atomic():
            application = VoucherApplication.objects.create(
                campaign=campaign, child=child, applicant=actor, priority_class=int(priority), registered_at=now,
                idempotency_key=key,
            )
            audit_record(actor=actor, action="vouchers.application.create", obj=application,
                         after={"campaign_id": campaign.pk, "child_id": child.pk, "priority_class": int(priority)})
    except IntegrityError:
        winner = VoucherApplication.objects.filter(applicant_id=actor.pk, idempotency_key=key).first()
        if winner is not None:
            return ApplyResult(winner, False)
        raise errors.AlreadyApplied() from None
    return ApplyResult(application, True)


def campaign_draw(*, campaign_id: int, actor: Any | None = None, now: dt.datetime | None = None) -> int:
    """Draw a lottery campaign once applications close (rule: numbers are HMAC(committed seed, public id); lower wins).

    Returns how many applications were ranked; the seed is revealed so anyone can re-run the draw.
    """
    now = now or timezone.now()
    with transaction.atomic():
        campaign = VoucherCampaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None:
            raise errors.CampaignNotFound()
        if campaign.policy != VoucherCampaign.Policy.LOTTERY:
            raise errors.WrongPolicy(policy=campaign.policy)
        if campaign.drawn_at is not None or campaign.status == CampaignStatus.DRAFT or now < campaign.applications_close_at:
            raise errors.NotYetDrawn(closes=timezone.localtime(campaign.applications_close_at).isoformat(timespec="minutes"))
        seed = bytes.fromhex(campaign.seed_hex)
        applications = list(campaign.applications.filter(status=VoucherApplication.Status.WAITING))
        numbers = {a.public_id: lottery.lottery_number(seed, a.public_id) for a in applications}
        order = lottery_order(
            [Waiting(a.public_id, a.priority_class, a.pk) for a in applications],
            number=numbers.__getitem__, use_classes=campaign.use_priority_classes,
        )
        rank_of = {w.pk: rank for rank, w in enumerate(order, 1)}
        for application in applications:
            application.lottery_number = numbers[application.public_id]
            application.rank = rank_of[application.pk]
        VoucherApplication.objects.bulk_update(applications, ["lottery_number", "rank"], batch_size=500)
        campaign.drawn_at = now
        campaign.seed_revealed = True
        campaign.save(update_fields=["drawn_at", "seed_revealed"])
        audit_record(actor=actor, action="vouchers.campaign.draw", obj=campaign,
                     after={"seed_hex": campaign.seed_hex, "seed_commitment": campaign.seed_commitment,
                            "applications": len(applications)})
    return len(applications)


def lottery_draw_due(*, now: dt.datetime | None = None) -> int:
    """Draw every lottery campaign whose application window has closed (worker; idempotent)."""
    now = now or timezone.now()
    due = VoucherCampaign.objects.filter(
        policy=VoucherCampaign.Policy.LOTTERY, drawn_at__isnull=True, applications_close_at__lte=now,
        status__in=[CampaignStatus.ANNOUNCED, CampaignStatus.OPEN],
    ).values_list("pk", flat=True)
    drawn = 0
    for campaign_id in list(due[:20]):
        try:
            campaign_draw(campaign_id=campaign_id, now=now)
        except errors.NotYetDrawn:  # another worker drew it first
            continue
        drawn += 1
    return drawn


def _waiting_in_order(campaign: VoucherCampaign):
    waiting = campaign.applications.select_related("child", "applicant__person").filter(
        status=VoucherApplication.Status.WAITING
    )
    if campaign.policy == VoucherCampaign.Policy.LOTTERY:
        return waiting.filter(rank__isnull=False).order_by("rank")
    # The queue policy: by priority class, then registration time, then id.
    return waiting.order_by("priority_class", "registered_at", "pk")


def campaign_issue_next(*, campaign_id: int, now: dt.datetime | None = None) -> int:
    """Give free vouchers of a queue or lottery campaign to the next children waiting (rule: the policy's order).

    The campaign row is locked, so several workers never give the same voucher twice; ``held`` never exceeds
    the quota (database check). Returns how many applications were served.
    """
    now = now or timezone.now()
    served = 0
    with transaction.atomic():
        campaign = VoucherCampaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None or campaign.status not in (CampaignStatus.ANNOUNCED, CampaignStatus.OPEN):
            return 0
        first = campaign.stages.order_by("opens_at").first()
        if first is None or now < first.opens_at:
            return 0
        free = campaign.quota - campaign.held
        for application in _waiting_in_order(campaign)[:ISSUE_BATCH] if free > 0 else []:
            if free == 0:
                break
            served += 1
            try:
                with transaction.atomic():
                    _issue(campaign=campaign, child=application.child, holder=application.applicant, application=application)
            except errors.VoucherHeld:
                # The child got a voucher of this kind elsewhere meanwhile: the next child is served instead.
                application.status = VoucherApplication.Status.NOT_ELIGIBLE
                application.save(update_fields=["status"])
                continue
            application.status = VoucherApplication.Status.ISSUED
            application.save(update_fields=["status"])
            VoucherCampaign.objects.filter(pk=campaign.pk).update(held=F("held") + 1)
            free -= 1
    return served


def vouchers_issue_due(*, now: dt.datetime | None = None) -> int:
    """Serve every queue and lottery campaign with free vouchers and children waiting (worker; idempotent)."""
    due = (
        VoucherCampaign.objects.filter(
            status__in=[CampaignStatus.ANNOUNCED, CampaignStatus.OPEN], held__lt=F("quota"),
            applications__status=VoucherApplication.Status.WAITING,
        )
        .exclude(policy=VoucherCampaign.Policy.FIRST_COME)
        .values_list("pk", flat=True)
        .distinct()
    )
    return sum(campaign_issue_next(campaign_id=pk, now=now) for pk in list(due[:50]))
