"""Reading the club catalogue, campaigns (public), a family's vouchers and a provider's placements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from kezek.accounts.models import Role
from kezek.domain.vouchers import CampaignStatus, ownership_for_kind
from kezek.organisations.models import Group, Organisation
from kezek.vouchers import errors
from kezek.vouchers.models import CampaignStage, Voucher, VoucherApplication, VoucherCampaign


def catalogue_sections(
    *,
    district_id: int | None = None,
    region_id: int | None = None,
    kind: str | None = None,
    age_years: int | None = None,
    language: str | None = None,
    free_only: bool = False,
    ownership: str | None = None,
) -> QuerySet[Group]:
    """Approved, active sections of approved club providers, filtered as the public catalogue filters them."""
    qs = Group.objects.select_related("organisation", "organisation__district").filter(
        organisation__kind=Organisation.Kind.CLUB, organisation__status=Organisation.Status.APPROVED,
        is_active=True, is_approved=True,
    )
    if district_id is not None:
        qs = qs.filter(organisation__district_id=district_id)
    if region_id is not None:
        qs = qs.filter(organisation__district__region_id=region_id)
    if kind:
        qs = qs.filter(kind=kind)
    if language:
        qs = qs.filter(language=language)
    if ownership:
        qs = qs.filter(organisation__ownership=ownership)
    if age_years is not None:
        # A child of N years is between N*12 and N*12+11 months old over that year of life.
        qs = qs.filter(age_min_months__lte=age_years * 12 + 11, age_max_months__gte=age_years * 12)
    if free_only:
        qs = qs.filter(enrolled__lt=F("capacity"))
    return qs.annotate(free_places=F("capacity") - F("enrolled")).order_by("organisation__name", "name", "pk")


def campaign_public_list() -> QuerySet[VoucherCampaign]:
    """Announced, open and closed campaigns, newest period first (drafts are never public)."""
    return VoucherCampaign.objects.select_related("region", "district").exclude(status=CampaignStatus.DRAFT)


def campaign_public_get(*, campaign_id: int) -> VoucherCampaign:
    campaign = campaign_public_list().filter(pk=campaign_id).first()
    if campaign is None:
        raise errors.CampaignNotFound()
    return campaign


@dataclass(frozen=True)
class StageState:
    stage: CampaignStage
    is_open: bool
    remaining: int | None  # first_come: the stage's pool; None for queue and lottery


def campaign_stages(*, campaign: VoucherCampaign) -> list[StageState]:
    """Each stage with whether it is open and, for first_come, how many of its vouchers are left."""
    now = timezone.now()
    stages = campaign.stages.select_related("pool").order_by("number")
    live = campaign.status in (CampaignStatus.ANNOUNCED, CampaignStatus.OPEN)
    return [
        StageState(stage, live and stage.opens_at <= now, stage.pool.remaining if stage.pool_id else None)
        for stage in stages
    ]


def campaign_remaining(*, campaign: VoucherCampaign) -> int:
    """Vouchers not yet given: in the stages' pools (first_come) or the quota less those held (queue, lottery)."""
    if campaign.policy == VoucherCampaign.Policy.FIRST_COME:
        return sum(s.remaining or 0 for s in campaign_stages(campaign=campaign))
    return max(0, campaign.quota - campaign.held)


def campaign_waiting_count(*, campaign: VoucherCampaign) -> int:
    return campaign.applications.filter(status=VoucherApplication.Status.WAITING).count()


def campaigns_for_officer(*, user: Any) -> QuerySet[VoucherCampaign]:
    """Campaigns of the officer's district or region (administrators: all)."""
    qs = VoucherCampaign.objects.select_related("region", "district")
    if user.is_superuser or user.role == Role.ADMIN:
        return qs
    if user.role != Role.OFFICER or user.district is None:
        return qs.none()
    return qs.filter(Q(district_id=user.district_id) | Q(district__isnull=True, region_id=user.district.region_id))


def vouchers_for_holder(*, user: Any) -> QuerySet[Voucher]:
    return Voucher.objects.select_related("campaign", "child", "section__organisation").filter(holder_id=user.pk)


def voucher_get_for_holder(*, user: Any, voucher_id: int) -> Voucher:
    voucher = vouchers_for_holder(user=user).filter(pk=voucher_id).first()
    if voucher is None:
        raise errors.VoucherNotFound()
    return voucher


def applications_for_user(*, user: Any) -> QuerySet[VoucherApplication]:
    return VoucherApplication.objects.select_related("campaign", "child").filter(applicant_id=user.pk).order_by("-registered_at")


def application_position(*, application: VoucherApplication) -> int | None:
    """1 = next to be served; None once drawn out, issued or before a lottery draw."""
    if application.status != VoucherApplication.Status.WAITING:
        return None
    waiting = application.campaign.applications.filter(status=VoucherApplication.Status.WAITING)
    if application.campaign.policy == VoucherCampaign.Policy.LOTTERY:
        if application.rank is None:
            return None
        return waiting.filter(rank__lt=application.rank).count() + 1
    ahead = Q(priority_class__lt=application.priority_class) | Q(
        priority_class=application.priority_class, registered_at__lt=application.registered_at
    ) | Q(priority_class=application.priority_class, registered_at=application.registered_at, pk__lt=application.pk)
    return waiting.filter(ahead).count() + 1


def sections_for_voucher(*, voucher: Voucher, **filters: Any) -> QuerySet[Group]:
    """Sections this voucher can go to now: the campaign's area and provider kind, with a free place."""
    campaign = voucher.campaign
    return catalogue_sections(
        district_id=campaign.district_id, region_id=campaign.region_id, ownership=ownership_for_kind(campaign.kind),
        free_only=True, **filters,
    ).exclude(pk=voucher.section_id or 0)


def placements_for_provider(*, user: Any) -> QuerySet[Voucher]:
    """Vouchers waiting for the provider's acceptance, and those active in its sections."""
    qs = Voucher.objects.select_related("child", "section", "campaign").filter(section__isnull=False)
    if user.is_superuser or user.role == Role.ADMIN:
        return qs
    if user.role == Role.PROVIDER_STAFF and user.organisation_id:
        return qs.filter(section__organisation_id=user.organisation_id)
    return qs.none()


def sections_for_provider(*, user: Any) -> QuerySet[Group]:
    qs = Group.objects.select_related("organisation").filter(organisation__kind=Organisation.Kind.CLUB)
    if user.role == Role.PROVIDER_STAFF and user.organisation_id:
        return qs.filter(organisation_id=user.organisation_id)
    return qs.none()


def sections_waiting_approval(*, district_ids: set[int] | None) -> QuerySet[Group]:
    qs = Group.objects.select_related("organisation").filter(organisation__kind=Organisation.Kind.CLUB, is_approved=False)
    return qs if district_ids is None else qs.filter(organisation__district_id__in=district_ids)


def providers_waiting_approval(*, district_ids: set[int] | None) -> QuerySet[Organisation]:
    qs = Organisation.objects.filter(kind=Organisation.Kind.CLUB, status=Organisation.Status.PENDING)
    return qs if district_ids is None else qs.filter(district_id__in=district_ids)
