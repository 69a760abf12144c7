"""Club sections, voucher campaigns and families for voucher tests.

Campaigns are made through the services (created by an officer, announced with the lead time), so their
stages, pools and seed are what production has; ``opening_time(campaign)`` is the moment to claim at.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.conf import settings
from django.utils import timezone

from kezek.domain import waiting_room
from kezek.organisations.models import Group, Organisation
from kezek.vouchers.models import CampaignStage, VoucherCampaign
from kezek.vouchers.services.campaigns import campaign_announce, campaign_create
from tests.factories.accounts import make_officer, make_parent
from tests.factories.geo import district as get_district
from tests.factories.organisations import make_group, make_organisation
from tests.factories.people import make_family

_keys = itertools.count(1)


def period_start() -> dt.date:
    """1 September of next year: the default period start of test campaigns."""
    return dt.date(timezone.localdate().year + 1, 9, 1)


def child_born(age_on_period_start: int) -> dt.date:
    """A birth date giving this full age on ``period_start()`` (born in March)."""
    start = period_start()
    return dt.date(start.year - age_on_period_start, 3, 1)


def make_club_section(
    *, ownership: str = Organisation.Ownership.PRIVATE, district: Any = None, capacity: int = 10,
    age_min_months: int = 48, age_max_months: int = 204, kind: str = Group.Kind.SPORT, language: str = "kk",
    organisation: Organisation | None = None, **fields: Any,
) -> Group:
    """An approved section of an approved club provider (private by default) in Astana Yesil."""
    organisation = organisation or make_organisation(kind=Organisation.Kind.CLUB, ownership=ownership, district=district)
    section = make_group(
        organisation=organisation, name=fields.pop("name", "Футбол"), kind=kind, age_min_months=age_min_months,
        age_max_months=age_max_months, language=language, capacity=capacity,
    )
    for key, value in {"schedule": "Пн, Ср 16:00", "monthly_price": 18000, **fields}.items():
        setattr(section, key, value)
    section.save()
    return section


def make_voucher_family(*, age: int = 8, children: int = 1, district: Any = None):
    """A parent's account and registry children of ``age`` on the period start: ``(user, [children])``."""
    district = get_district(district) if isinstance(district, str) else district
    parent, kids = make_family(children=children, child_birth_dates=[child_born(age)] * children, district=district)
    return make_parent(parent), kids


def make_campaign(
    *,
    officer: Any = None,
    policy: str = VoucherCampaign.Policy.FIRST_COME,
    kind: str = VoucherCampaign.Kind.UNIVERSAL,
    quota: int = 5,
    shares: list[int] | None = None,
    announce: bool = True,
    first_stage_in: dt.timedelta = dt.timedelta(days=2),
    district: Any = "astana-yesil",
    **overrides: Any,
) -> VoucherCampaign:
    """A campaign of one district (stages a week apart), announced now unless ``announce=False``."""
    district = get_district(district) if isinstance(district, str) else district
    officer = officer or make_officer(district)
    first = timezone.now() + first_stage_in
    shares = shares or [quota]
    values: dict[str, Any] = {
        "title": f"Damu Bala {next(_keys)}", "region": district.region if district else get_district().region,
        "district": district, "period_start": period_start(), "period_end": dt.date(period_start().year + 1, 5, 31),
        "kind": kind, "policy": policy, "quota": quota, "monthly_value": 20_000, "min_age": 4, "max_age": 17,
        "stages": [(first + dt.timedelta(days=7 * i), share) for i, share in enumerate(shares)],
    }
    if policy == VoucherCampaign.Policy.LOTTERY:
        values["applications_close_at"] = first + dt.timedelta(days=3)
    values.update(overrides)
    campaign = campaign_create(actor=officer, **values)
    if announce:
        campaign = campaign_announce(actor=officer, campaign_id=campaign.pk)
    return campaign


def stage(campaign: VoucherCampaign, number: int = 1) -> CampaignStage:
    return CampaignStage.objects.select_related("pool", "opening").get(campaign=campaign, number=number)


def opening_time(campaign: VoucherCampaign, number: int = 1, *, after: dt.timedelta = dt.timedelta(seconds=5)) -> dt.datetime:
    """A moment just after the stage opens."""
    return stage(campaign, number).opens_at + after


def admission_token(campaign: VoucherCampaign, user: Any, number: int = 1, *, ttl: int = 600) -> str:
    """A valid waiting-room pass for ``user`` to the stage's opening, valid from the opening for ``ttl`` seconds."""
    s = stage(campaign, number)
    key = waiting_room.token_key(settings.SECRET_KEY)
    return waiting_room.token_sign(key=key, opening_id=s.opening_id, account_id=user.pk,
                                   expires_at=int(s.opens_at.timestamp()) + ttl)


def claim_key() -> str:
    return f"claim-{next(_keys)}"
