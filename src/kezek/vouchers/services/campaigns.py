"""Voucher campaigns: created as drafts, announced ahead with frozen quota and stages, changed only with a public reason."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from kezek.accounts.models import Role
from kezek.accounts.permissions import OutOfScope, is_admin, require_district, require_role
from kezek.audit.services import audit_record
from kezek.domain import lottery
from kezek.domain.vouchers import (
    DEFAULT_LEAD_HOURS,
    CampaignStatus,
    FrozenAfterAnnouncement,
    StagePlan,
    check_announcement_lead,
    check_campaign_plan,
    check_campaign_transition,
    clean_reason,
)
from kezek.geo.models import District, Region
from kezek.rush.models import Opening, Pool
from kezek.vouchers import errors
from kezek.vouchers.models import CampaignChange, CampaignStage, VoucherCampaign

# What an officer may still change after the announcement, always with a reason (quota and shares never).
CHANGEABLE_AFTER_ANNOUNCEMENT = ("title", "monthly_value", "period_end", "applications_close_at")


def lead_hours() -> int:
    return int(getattr(settings, "KEZEK_CAMPAIGN_LEAD_HOURS", DEFAULT_LEAD_HOURS))


def require_campaign_area(actor: Any, *, region_id: int, district_id: int | None) -> None:
    """Refuse an officer outside the campaign's area (rule: officers act only in their district or its region)."""
    if district_id is not None:
        require_district(actor, district_id)
        return
    require_role(actor, Role.OFFICER)
    if is_admin(actor):
        return
    if actor.district is None or actor.district.region_id != region_id:
        raise OutOfScope()


def campaign_snapshot(campaign: VoucherCampaign) -> dict[str, Any]:
    """The audited and published state of a campaign and its stages."""
    return {
        "title": campaign.title,
        "region_id": campaign.region_id,
        "district_id": campaign.district_id,
        "period_start": campaign.period_start,
        "period_end": campaign.period_end,
        "kind": campaign.kind,
        "policy": campaign.policy,
        "status": campaign.status,
        "quota": campaign.quota,
        "monthly_value": campaign.monthly_value,
        "min_age": campaign.min_age,
        "max_age": campaign.max_age,
        "use_priority_classes": campaign.use_priority_classes,
        "applications_close_at": campaign.applications_close_at,
        "seed_commitment": campaign.seed_commitment,
        "stages": [{"number": s.number, "opens_at": s.opens_at, "share": s.share} for s in campaign.stages.order_by("number")],
    }


def _int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise errors.InvalidValue(field=field)
    return value


def _clean_stages(stages: Sequence[Any]) -> list[StagePlan]:
    plans = []
    for stage in stages or ():
        opens_at, share = (stage.opens_at, stage.share) if isinstance(stage, StagePlan) else stage
        if not isinstance(opens_at, dt.datetime) or timezone.is_naive(opens_at):
            raise errors.InvalidValue(field="opens_at")
        plans.append(StagePlan(opens_at=opens_at, share=_int(share, "share")))
    return sorted(plans, key=lambda p: p.opens_at)


def _check_window(*, policy: str, applications_close_at: dt.datetime | None, stages: list[StagePlan]) -> None:
    if policy == VoucherCampaign.Policy.LOTTERY:
        if applications_close_at is None or (stages and applications_close_at <= stages[0].opens_at):
            raise errors.InvalidValue(field="applications_close_at")


def campaign_create(
    *,
    actor: Any,
    title: str,
    region: Region,
    district: District | None = None,
    period_start: dt.date,
    period_end: dt.date,
    kind: str,
    policy: str,
    quota: int,
    monthly_value: int,
    min_age: int,
    max_age: int,
    stages: Sequence[Any],
    use_priority_classes: bool = False,
    applications_close_at: dt.datetime | None = None,
) -> VoucherCampaign:
    """Create a draft campaign with its stages (rules: shares sum to the quota, ages 4-17, officer of the area)."""
    if district is not None and district.region_id != region.pk:
        raise errors.InvalidValue(field="district")
    require_campaign_area(actor, region_id=region.pk, district_id=district.pk if district else None)
    title = (title or "").strip()[:200]
    if not title:
        raise errors.InvalidValue(field="title")
    if kind not in VoucherCampaign.Kind.values:
        raise errors.InvalidValue(field="kind")
    if policy not in VoucherCampaign.Policy.values:
        raise errors.InvalidValue(field="policy")
    if kind == VoucherCampaign.Kind.TARGETED and policy == VoucherCampaign.Policy.QUEUE:
        raise errors.TargetedWithoutQueue()
    for name, value in (("period_start", period_start), ("period_end", period_end)):
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise errors.InvalidValue(field=name)
    plans = _clean_stages(stages)
    check_campaign_plan(
        quota=_int(quota, "quota"), monthly_value=_int(monthly_value, "monthly_value"), period_start=period_start,
        period_end=period_end, min_age=_int(min_age, "min_age"), max_age=_int(max_age, "max_age"), stages=plans,
    )
    _check_window(policy=policy, applications_close_at=applications_close_at, stages=plans)
    with transaction.atomic():
        campaign = VoucherCampaign.objects.create(
            title=title, region=region, district=district, period_start=period_start, period_end=period_end, kind=kind,
            policy=policy, quota=quota, monthly_value=monthly_value, min_age=min_age, max_age=max_age,
            use_priority_classes=bool(use_priority_classes),
            applications_close_at=applications_close_at if policy == VoucherCampaign.Policy.LOTTERY else None,
            created_by=actor,
        )
        CampaignStage.objects.bulk_create(
            CampaignStage(campaign=campaign, number=n, opens_at=p.opens_at, share=p.share) for n, p in enumerate(plans, 1)
        )
        audit_record(actor=actor, action="vouchers.campaign.create", obj=campaign, after=campaign_snapshot(campaign))
    return campaign


def _lock(campaign_id: int) -> VoucherCampaign:
    campaign = VoucherCampaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None:
        raise errors.CampaignNotFound()
    return campaign


def campaign_update_draft(*, actor: Any, campaign_id: int, stages: Sequence[Any] | None = None, **changes: Any) -> VoucherCampaign:
    """Edit a draft's quota, stages and details (rule: frozen once announced: use ``campaign_change``)."""
    allowed = {"title", "quota", "monthly_value", "period_start", "period_end", "min_age", "max_age",
               "use_priority_classes", "applications_close_at"}
    if unknown := set(changes) - allowed:
        raise TypeError(f"these fields cannot be changed here: {sorted(unknown)}")
    with transaction.atomic():
        campaign = _lock(campaign_id)
        require_campaign_area(actor, region_id=campaign.region_id, district_id=campaign.district_id)
        if campaign.status != CampaignStatus.DRAFT:
            raise FrozenAfterAnnouncement()
        before = campaign_snapshot(campaign)
        for key, value in changes.items():
            setattr(campaign, key, value)
        plans = _clean_stages(stages) if stages is not None else [
            StagePlan(s.opens_at, s.share) for s in campaign.stages.order_by("opens_at")
        ]
        check_campaign_plan(
            quota=_int(campaign.quota, "quota"), monthly_value=_int(campaign.monthly_value, "monthly_value"),
            period_start=campaign.period_start, period_end=campaign.period_end, min_age=_int(campaign.min_age, "min_age"),
            max_age=_int(campaign.max_age, "max_age"), stages=plans,
        )
        _check_window(policy=campaign.policy, applications_close_at=campaign.applications_close_at, stages=plans)
        campaign.save()
        if stages is not None:
            campaign.stages.all().delete()
            CampaignStage.objects.bulk_create(
                CampaignStage(campaign=campaign, number=n, opens_at=p.opens_at, share=p.share) for n, p in enumerate(plans, 1)
            )
        audit_record(actor=actor, action="vouchers.campaign.update_draft", obj=campaign, before=before,
                     after=campaign_snapshot(campaign))
    return campaign


def _open_rush(campaign: VoucherCampaign) -> None:
    # first_come: one waiting room and one pool per stage, holding exactly the stage's share.
    for stage in campaign.stages.order_by("number"):
        opening = Opening.objects.create(
            slug=f"vouchers-{campaign.pk}-{stage.number}",
            title=f"{campaign.title} · {stage.number}",
            opens_at=stage.opens_at,
            claim_url=reverse("vouchers:claim", kwargs={"campaign_id": campaign.pk, "stage_number": stage.number}),
        )
        pool = Pool.objects.create(opening=opening, key="vouchers", title=campaign.title[:200], capacity=stage.share)
        stage.opening, stage.pool = opening, pool
        stage.save(update_fields=["opening", "pool"])


def campaign_announce(*, actor: Any, campaign_id: int, now: dt.datetime | None = None) -> VoucherCampaign:
    """Publish a campaign (rules: at least the lead time before its first stage; quota and stages freeze)."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = _lock(campaign_id)
        require_campaign_area(actor, region_id=campaign.region_id, district_id=campaign.district_id)
        check_campaign_transition(campaign.status, CampaignStatus.ANNOUNCED)
        first = campaign.stages.order_by("opens_at").first()
        if first is None:
            raise errors.InvalidValue(field="stages")
        check_announcement_lead(now=now, first_stage_at=first.opens_at, lead_hours=lead_hours())
        before = campaign_snapshot(campaign)
        campaign.status = CampaignStatus.ANNOUNCED
        campaign.announced_at = now
        if campaign.policy == VoucherCampaign.Policy.LOTTERY:
            seed = lottery.new_seed()
            campaign.seed_hex = seed.hex()
            campaign.seed_commitment = lottery.seed_commitment(seed)
        campaign.save()
        if campaign.policy == VoucherCampaign.Policy.FIRST_COME:
            _open_rush(campaign)
        audit_record(actor=actor, action="vouchers.campaign.announce", obj=campaign, before=before,
                     after=campaign_snapshot(campaign))
    return campaign


def campaign_change(
    *,
    actor: Any,
    campaign_id: int,
    reason: str,
    stage_times: dict[int, dt.datetime] | None = None,
    now: dt.datetime | None = None,
    **changes: Any,
) -> CampaignChange:
    """Change an announced campaign (rules: a reason is required and published; quota and shares stay frozen;
    a stage that has not opened may move, but never to less than the lead time from now)."""
    now = now or timezone.now()
    reason = clean_reason(reason)
    if {"quota", "stages", "shares"} & set(changes):
        raise FrozenAfterAnnouncement()
    if unknown := set(changes) - set(CHANGEABLE_AFTER_ANNOUNCEMENT):
        raise TypeError(f"these fields cannot be changed here: {sorted(unknown)}")
    with transaction.atomic():
        campaign = _lock(campaign_id)
        require_campaign_area(actor, region_id=campaign.region_id, district_id=campaign.district_id)
        if campaign.status == CampaignStatus.DRAFT:
            raise errors.InvalidValue(field="status")
        before = campaign_snapshot(campaign)
        for key, value in changes.items():
            if key == "monthly_value":
                value = _int(value, key)
                if value < 1:
                    raise errors.InvalidValue(field=key)
            if key == "title" and not (value or "").strip():
                raise errors.InvalidValue(field=key)
            setattr(campaign, key, value)
        if campaign.period_end <= campaign.period_start:
            raise errors.InvalidValue(field="period_end")
        for number, opens_at in (stage_times or {}).items():
            stage = campaign.stages.filter(number=number).first()
            if stage is None:
                raise errors.StageNotFound()
            if stage.opens_at <= now:
                raise FrozenAfterAnnouncement()
            check_announcement_lead(now=now, first_stage_at=opens_at, lead_hours=lead_hours())
            stage.opens_at = opens_at
            stage.save(update_fields=["opens_at"])
            if stage.opening_id:
                Opening.objects.filter(pk=stage.opening_id).update(opens_at=opens_at)
        campaign.save()
        after = campaign_snapshot(campaign)
        changed = sorted(k for k in after if after[k] != before[k])
        if not changed:
            raise errors.InvalidValue(field="changes")
        change = CampaignChange.objects.create(
            campaign=campaign, summary=", ".join(changed)[:500], reason=reason,
            before=_json({k: before[k] for k in changed}), after=_json({k: after[k] for k in changed}), actor=actor,
        )
        audit_record(actor=actor, action="vouchers.campaign.change", obj=campaign, before=before,
                     after=after | {"reason": reason})
    return change


def _json(value: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def campaigns_advance(*, now: dt.datetime | None = None) -> int:
    """Open announced campaigns at their first stage and close them after the period (worker; idempotent)."""
    now = now or timezone.now()
    done = 0
    due_open = VoucherCampaign.objects.filter(status=CampaignStatus.ANNOUNCED, stages__opens_at__lte=now).distinct()
    for campaign_id in due_open.values_list("pk", flat=True)[:100]:
        done += _advance(campaign_id, CampaignStatus.ANNOUNCED, CampaignStatus.OPEN)
    due_close = VoucherCampaign.objects.filter(
        status__in=[CampaignStatus.ANNOUNCED, CampaignStatus.OPEN], period_end__lt=timezone.localdate(now)
    )
    for campaign_id in due_close.values_list("pk", flat=True)[:100]:
        done += _advance(campaign_id, None, CampaignStatus.CLOSED)
    return done


def _advance(campaign_id: int, expected: str | None, target: str) -> int:
    with transaction.atomic():
        campaign = _lock(campaign_id)
        # Another worker may have moved it already: then there is nothing to do.
        if (expected is not None and campaign.status != expected) or campaign.status == target:
            return 0
        check_campaign_transition(campaign.status, target)
        before = {"status": campaign.status}
        campaign.status = target
        campaign.save(update_fields=["status"])
        audit_record(actor=None, action=f"vouchers.campaign.{target}", obj=campaign, before=before, after={"status": target})
    return 1
