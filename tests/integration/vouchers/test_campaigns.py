"""Campaigns: created by an officer of the area, announced with the lead time, frozen, changed only with a reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kezek.accounts.permissions import OutOfScope, RoleRequired
from kezek.audit.models import AuditEvent
from kezek.domain import lottery
from kezek.domain.vouchers import AnnouncedTooLate, FrozenAfterAnnouncement, ReasonRequired, SharesDoNotAddUp
from kezek.vouchers import errors
from kezek.vouchers.models import CampaignChange, VoucherCampaign
from kezek.vouchers.services.campaigns import campaign_announce, campaign_change, campaign_update_draft, campaigns_advance
from tests.factories.accounts import make_officer, make_parent
from tests.factories.geo import district
from tests.factories.vouchers import make_campaign, stage


def test_announce_refused_inside_the_lead_time(officer):
    campaign = make_campaign(officer=officer, announce=False, first_stage_in=dt.timedelta(hours=23, minutes=59))
    with pytest.raises(AnnouncedTooLate) as info:
        campaign_announce(actor=officer, campaign_id=campaign.pk)
    assert info.value.params["hours"] == 24
    campaign.refresh_from_db()
    assert campaign.status == "draft" and campaign.announced_at is None
    assert not stage(campaign).opening_id


def test_lead_time_is_a_setting(officer, settings):
    settings.KEZEK_CAMPAIGN_LEAD_HOURS = 2
    campaign = make_campaign(officer=officer, first_stage_in=dt.timedelta(hours=3))
    assert campaign.status == "announced"


def test_announce_first_come_makes_a_pool_per_stage(officer):
    campaign = make_campaign(officer=officer, quota=10, shares=[6, 4])
    first, second = stage(campaign, 1), stage(campaign, 2)
    assert (first.pool.capacity, second.pool.capacity) == (6, 4)
    assert first.opening.opens_at == first.opens_at
    assert first.opening.claim_url == f"/vouchers/campaigns/{campaign.pk}/stages/1/claim/"
    assert AuditEvent.objects.filter(action="vouchers.campaign.announce", object_id=str(campaign.pk)).exists()


def test_announce_lottery_commits_a_seed(officer):
    campaign = make_campaign(officer=officer, policy="lottery")
    assert campaign.seed_commitment and not campaign.seed_revealed
    assert lottery.check_commitment(campaign.seed_hex, campaign.seed_commitment)


def test_shares_must_add_up_to_the_quota(officer):
    with pytest.raises(SharesDoNotAddUp):
        make_campaign(officer=officer, quota=10, shares=[6, 3])
    assert not VoucherCampaign.objects.exists()


def test_targeted_campaign_has_no_queue(officer):
    with pytest.raises(errors.TargetedWithoutQueue):
        make_campaign(officer=officer, kind="targeted", policy="queue")


def test_draft_can_change_but_announced_is_frozen(officer):
    campaign = make_campaign(officer=officer, announce=False, quota=5)
    when = stage(campaign).opens_at
    campaign_update_draft(actor=officer, campaign_id=campaign.pk, quota=8, stages=[(when, 8)])
    assert stage(campaign).share == 8
    campaign_announce(actor=officer, campaign_id=campaign.pk)
    with pytest.raises(FrozenAfterAnnouncement):
        campaign_update_draft(actor=officer, campaign_id=campaign.pk, quota=9, stages=[(when, 9)])
    with pytest.raises(FrozenAfterAnnouncement):
        campaign_change(actor=officer, campaign_id=campaign.pk, reason="more money", quota=9)
    campaign.refresh_from_db()
    assert campaign.quota == 8 and stage(campaign).pool.capacity == 8


def test_change_needs_a_reason_and_is_public(officer):
    campaign = make_campaign(officer=officer)
    with pytest.raises(ReasonRequired):
        campaign_change(actor=officer, campaign_id=campaign.pk, reason="  ", monthly_value=25_000)
    change = campaign_change(actor=officer, campaign_id=campaign.pk, reason="Budget amended by akimat order 12",
                             monthly_value=25_000)
    assert change.summary == "monthly_value"
    assert (change.before, change.after) == ({"monthly_value": 20_000}, {"monthly_value": 25_000})
    assert list(CampaignChange.objects.filter(campaign=campaign)) == [change]


def test_a_stage_moves_only_with_the_lead_time(officer):
    campaign = make_campaign(officer=officer, quota=4, shares=[2, 2])
    too_soon = timezone.now() + dt.timedelta(hours=1)
    with pytest.raises(AnnouncedTooLate):
        campaign_change(actor=officer, campaign_id=campaign.pk, reason="Hall flooded", stage_times={2: too_soon})
    later = stage(campaign, 2).opens_at + dt.timedelta(days=1)
    campaign_change(actor=officer, campaign_id=campaign.pk, reason="Hall flooded", stage_times={2: later})
    assert stage(campaign, 2).opens_at == later
    assert stage(campaign, 2).opening.opens_at == later
    # An opened stage is history: it cannot be moved.
    with pytest.raises(FrozenAfterAnnouncement):
        campaign_change(actor=officer, campaign_id=campaign.pk, reason="x", stage_times={1: later},
                        now=stage(campaign, 1).opens_at + dt.timedelta(minutes=1))


def test_officers_act_only_in_their_area(officer):
    other = make_officer(district("astana-baikonur"))
    with pytest.raises(OutOfScope):
        make_campaign(officer=other, district="astana-yesil")
    campaign = make_campaign(officer=officer)
    with pytest.raises(OutOfScope):
        campaign_change(actor=other, campaign_id=campaign.pk, reason="mine now", title="x")
    with pytest.raises(RoleRequired):
        make_campaign(officer=make_parent())


def test_region_wide_campaign_by_an_officer_of_the_region(officer, yesil):
    campaign = make_campaign(officer=officer, district=None, region=yesil.region)
    assert campaign.district is None
    almaty_officer = make_officer(district("almaty-city-almaly"))
    with pytest.raises(OutOfScope):
        campaign_change(actor=almaty_officer, campaign_id=campaign.pk, reason="r", title="x")


def test_worker_opens_at_the_first_stage_and_closes_after_the_period(officer):
    campaign = make_campaign(officer=officer)
    assert campaigns_advance() == 0
    assert campaigns_advance(now=stage(campaign).opens_at) == 1
    assert campaigns_advance(now=stage(campaign).opens_at) == 0
    campaign.refresh_from_db()
    assert campaign.status == "open"
    after = timezone.make_aware(dt.datetime.combine(campaign.period_end + dt.timedelta(days=1), dt.time(12)))
    assert campaigns_advance(now=after) == 1
    campaign.refresh_from_db()
    assert campaign.status == "closed"
