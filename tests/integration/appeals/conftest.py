"""Shared set-up for appeals: documents in a temporary private folder, a parent's expired offer, a cancelled voucher."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kezek.placements.services.offers import offers_expire_due
from kezek.vouchers.services.issuing import voucher_claim
from kezek.vouchers.services.placement import voucher_cancel
from tests.factories.accounts import make_officer
from tests.factories.applications import make_application
from tests.factories.geo import district
from tests.factories.placements import make_ran_round
from tests.factories.vouchers import admission_token, claim_key, make_campaign, make_voucher_family, opening_time

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _db(db):
    """Every appeals test uses the database."""


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Documents go to a fresh private folder per test, so a test can see exactly which files exist."""
    settings.MEDIA_ROOT = str(tmp_path / "private")
    return tmp_path / "private"


@pytest.fixture
def yesil():
    return district("astana-yesil")


@pytest.fixture
def officer(yesil):
    return make_officer(yesil)


def pdf(name: str = "scan.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def expire(ran) -> None:
    """Let every open offer of the round lapse now, as the worker does after the deadline."""
    offers_expire_due(now=max(o.deadline for o in ran.offers) + dt.timedelta(seconds=1))


@pytest.fixture
def expired_offer():
    """A parent's offer that expired; its place went free (no one else was waiting)."""
    application = make_application(registered_at=timezone.now() - dt.timedelta(days=40))
    ran = make_ran_round(applications=[application])
    expire(ran)
    offer = ran.offers[0]
    offer.refresh_from_db()
    return offer


def cancelled_voucher(*, quota: int = 2):
    """A first-come voucher an officer cancelled: ``(parent, voucher, campaign)``."""
    campaign = make_campaign(quota=quota)
    user, (child,) = make_voucher_family()
    voucher = voucher_claim(actor=user, campaign_id=campaign.pk, stage_number=1, child_iin=child.iin,
                            idempotency_key=claim_key(), token=admission_token(campaign, user), now=opening_time(campaign)).voucher
    voucher_cancel(actor=make_officer(district("astana-yesil")), voucher_id=voucher.pk, reason="duplicate record (wrongly)")
    voucher.refresh_from_db()
    return user, voucher, campaign


def claim_voucher(campaign):
    """Another family claims the campaign's next place."""
    user, (child,) = make_voucher_family()
    return voucher_claim(actor=user, campaign_id=campaign.pk, stage_number=1, child_iin=child.iin,
                         idempotency_key=claim_key(), token=admission_token(campaign, user), now=opening_time(campaign)).voucher
