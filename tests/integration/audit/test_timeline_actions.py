"""The public timeline shows what the services really record: announcements, changes, runs and draws."""

from __future__ import annotations

import pytest

from kezek.vouchers.services.campaigns import campaign_change
from tests.factories.applications import make_application
from tests.factories.rounds import announced_round, run_round
from tests.factories.vouchers import make_campaign

pytestmark = pytest.mark.django_db


def _timeline(client) -> str:
    return client.get("/transparency/timeline/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_round_and_campaign_announcements_appear_with_their_figures(client):
    round, _ = announced_round(places=3)
    make_campaign(quota=35, title="Damu Bala timeline")

    body = _timeline(client)

    assert "Allocation round announced" in body and round.code in body and round.seed_commitment in body
    assert "Voucher campaign announced" in body and "Damu Bala timeline" in body and "35" in body
    assert "opening stages" in body


def test_a_campaign_change_shows_with_its_reason(client):
    campaign = make_campaign(quota=20)
    officer = campaign.created_by
    campaign_change(actor=officer, campaign_id=campaign.pk, reason="Akimat order 12", monthly_value=25_000)
    body = _timeline(client)
    assert "Voucher campaign changed" in body and "Akimat order 12" in body and "25000" in body


def test_a_run_shows_the_revealed_seed_and_the_published_hashes(client):
    round, (place,) = announced_round(places=1)
    make_application(district=round.district, preferences=[place.group.organisation], age_group=place.age_group)
    run = run_round(round)
    round.refresh_from_db()

    body = _timeline(client)

    assert "Allocation round run" in body and round.seed_hex in body and run.result_sha256 in body
