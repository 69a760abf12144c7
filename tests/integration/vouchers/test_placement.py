"""A voucher's life: placed in a section with a free place, accepted with an agreement, moved, given back, decided on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from kezek.accounts.permissions import OutOfScope, RoleRequired
from kezek.core.worker import run_until_idle
from kezek.domain.vouchers import ReasonRequired, VoucherTransitionNotAllowed, agreement_hash
from kezek.organisations.models import Organisation
from kezek.vouchers import errors
from kezek.vouchers.models import CampaignStage, Voucher, VoucherApplication, VoucherEvent
from kezek.vouchers.services.issuing import voucher_apply, voucher_claim
from kezek.vouchers.services.placement import (
    voucher_accept,
    voucher_cancel,
    voucher_decline,
    voucher_place,
    voucher_release,
    voucher_resume,
    voucher_suspend,
    vouchers_expire_ended,
)
from tests.factories.accounts import make_officer, make_provider_staff
from tests.factories.geo import district
from tests.factories.vouchers import (
    admission_token,
    claim_key,
    make_campaign,
    make_club_section,
    make_voucher_family,
    opening_time,
    stage,
)


@pytest.fixture
def issued():
    campaign = make_campaign(quota=3)
    user, (child,) = make_voucher_family()
    voucher = voucher_claim(actor=user, campaign_id=campaign.pk, stage_number=1, child_iin=child.iin,
                            idempotency_key=claim_key(), token=admission_token(campaign, user), now=opening_time(campaign)).voucher
    return user, voucher


def place(user, voucher, section, accept=True):
    return voucher_place(actor=user, voucher_id=voucher.pk, section_id=section.pk, accept_agreement=accept)


def test_place_accept_and_agreement(issued):
    user, voucher = issued
    section = make_club_section(capacity=2)
    staff = make_provider_staff(section.organisation)
    with pytest.raises(errors.AgreementNotAccepted):
        place(user, voucher, section, accept=False)
    voucher = place(user, voucher, section)
    section.refresh_from_db()
    assert (voucher.status, voucher.section_id, section.enrolled) == ("placed", section.pk, 1)
    agreement = voucher.agreements.get()
    assert agreement.text_hash == agreement_hash(agreement.text) and voucher.number in agreement.text
    assert agreement.provider_accepted_at is None
    voucher = voucher_accept(actor=staff, voucher_id=voucher.pk)
    agreement.refresh_from_db()
    assert voucher.status == "active"
    assert agreement.provider_accepted_at is not None and agreement.provider_actor_id == staff.pk


def test_only_the_section_provider_accepts(issued):
    user, voucher = issued
    section = make_club_section()
    place(user, voucher, section)
    stranger = make_provider_staff(make_club_section().organisation)
    with pytest.raises(OutOfScope):
        voucher_accept(actor=stranger, voucher_id=voucher.pk)
    with pytest.raises(errors.VoucherNotFound):
        voucher_place(actor=make_voucher_family()[0], voucher_id=voucher.pk, section_id=section.pk, accept_agreement=True)


def test_a_full_section_is_refused(issued):
    user, voucher = issued
    full = make_club_section(capacity=1)
    full.enrolled = 1
    full.save()
    with pytest.raises(errors.SectionFull):
        place(user, voucher, full)
    voucher.refresh_from_db()
    assert voucher.status == "issued" and voucher.section_id is None


@pytest.mark.parametrize(
    ("section_kwargs", "error"),
    [
        ({"ownership": Organisation.Ownership.STATE}, errors.SectionWrongProvider),
        ({"district": "astana-baikonur"}, errors.SectionWrongArea),
        ({"age_min_months": 120}, errors.SectionWrongAge),
        ({"is_approved": False}, errors.SectionUnavailable),
        ({"is_active": False}, errors.SectionUnavailable),
    ],
)
def test_sections_that_cannot_take_the_voucher(issued, section_kwargs, error):
    user, voucher = issued
    with pytest.raises(error):
        place(user, voucher, make_club_section(**section_kwargs))


def test_move_keeps_the_voucher_and_frees_the_old_place(issued):
    user, voucher = issued
    first, second = make_club_section(), make_club_section()
    place(user, voucher, first)
    voucher_accept(actor=make_provider_staff(first.organisation), voucher_id=voucher.pk)
    with pytest.raises(errors.SameSection):
        place(user, voucher, first)
    moved = place(user, voucher, second)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (moved.pk, moved.number, moved.status, moved.section_id) == (voucher.pk, voucher.number, "placed", second.pk)
    assert (first.enrolled, second.enrolled) == (0, 1)
    assert VoucherEvent.objects.filter(voucher=voucher, kind="moved").exists()
    voucher_accept(actor=make_provider_staff(second.organisation), voucher_id=voucher.pk)
    assert voucher.agreements.count() == 2


def test_decline_needs_a_reason_and_leaves_the_voucher_issued(issued):
    user, voucher = issued
    section = make_club_section()
    staff = make_provider_staff(section.organisation)
    place(user, voucher, section)
    with pytest.raises(ReasonRequired):
        voucher_decline(actor=staff, voucher_id=voucher.pk, reason="")
    voucher = voucher_decline(actor=staff, voucher_id=voucher.pk, reason="The group meets at 8 am only")
    section.refresh_from_db()
    assert (voucher.status, voucher.section_id, section.enrolled) == ("issued", None, 0)


def test_release_returns_a_first_come_voucher_to_its_pool(issued):
    user, voucher = issued
    section = make_club_section()
    place(user, voucher, section)
    assert stage(voucher.campaign).pool.taken == 1
    voucher = voucher_release(actor=user, voucher_id=voucher.pk)
    section.refresh_from_db()
    assert (voucher.status, section.enrolled, stage(voucher.campaign).pool.taken) == ("released", 0, 0)
    with pytest.raises(VoucherTransitionNotAllowed):
        voucher_release(actor=user, voucher_id=voucher.pk)


def test_release_gives_a_queue_voucher_to_the_next_child():
    campaign = make_campaign(quota=1, policy="queue")
    # Time passes: the stage has opened (the worker runs on the real clock).
    CampaignStage.objects.filter(campaign=campaign).update(opens_at=timezone.now() - dt.timedelta(hours=1))
    opens = opening_time(campaign)
    families = [make_voucher_family() for _ in range(2)]
    for n, (user, (child,)) in enumerate(families):
        voucher_apply(actor=user, campaign_id=campaign.pk, child_iin=child.iin, idempotency_key=f"k{n}",
                      now=opens + dt.timedelta(seconds=n))
    run_until_idle(["vouchers.issue_to_waiting"])
    first = Voucher.objects.get()
    assert first.child_id == families[0][1][0].pk
    voucher_release(actor=families[0][0], voucher_id=first.pk)
    run_until_idle(["vouchers.issue_to_waiting"])
    second = Voucher.objects.get(status="issued")
    assert second.child_id == families[1][1][0].pk
    assert VoucherApplication.objects.get(child=families[1][1][0]).status == "issued"
    campaign.refresh_from_db()
    assert campaign.held == 1


def test_cancel_only_by_an_officer_with_a_reason(issued):
    user, voucher = issued
    officer = make_officer(district("astana-yesil"))
    with pytest.raises(RoleRequired):
        voucher_cancel(actor=user, voucher_id=voucher.pk, reason="I want to")
    with pytest.raises(ReasonRequired):
        voucher_cancel(actor=officer, voucher_id=voucher.pk, reason=" ")
    with pytest.raises(OutOfScope):
        voucher_cancel(actor=make_officer(district("astana-baikonur")), voucher_id=voucher.pk, reason="x")
    voucher.refresh_from_db()
    assert voucher.status == "issued"
    voucher = voucher_cancel(actor=officer, voucher_id=voucher.pk, reason="Registry: the child moved to Almaty")
    event = voucher.events.get(kind="cancelled")
    assert (voucher.status, event.reason, event.actor_id) == ("cancelled", "Registry: the child moved to Almaty", officer.pk)
    assert stage(voucher.campaign).pool.taken == 0
    # The database refuses a cancellation event without a reason.
    with pytest.raises(IntegrityError), transaction.atomic():
        VoucherEvent.objects.create(voucher=voucher, kind="cancelled", reason="")


def test_suspend_keeps_the_place_and_resume(issued):
    user, voucher = issued
    section = make_club_section()
    place(user, voucher, section)
    voucher_accept(actor=make_provider_staff(section.organisation), voucher_id=voucher.pk)
    officer = make_officer(district("astana-yesil"))
    voucher = voucher_suspend(actor=officer, voucher_id=voucher.pk, reason="Three months without attendance")
    section.refresh_from_db()
    assert (voucher.status, section.enrolled) == ("suspended", 1)
    assert voucher_resume(actor=officer, voucher_id=voucher.pk).status == "active"


def test_expire_after_the_period(issued):
    user, voucher = issued
    section = make_club_section()
    place(user, voucher, section)
    assert vouchers_expire_ended() == 0
    assert vouchers_expire_ended(today=voucher.campaign.period_end + dt.timedelta(days=1)) == 1
    voucher.refresh_from_db()
    section.refresh_from_db()
    assert (voucher.status, voucher.section_id, section.enrolled) == ("expired", None, 0)
