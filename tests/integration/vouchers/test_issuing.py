"""Getting a voucher: first_come claims through the waiting room, queue and lottery applications served by the worker."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from kezek.audit.models import AuditEvent
from kezek.domain import lottery
from kezek.domain.iin import InvalidIin
from kezek.domain.vouchers import ChildOutsideAges
from kezek.domain.waiting_room import TokenExpired, TokenMissing, TokenNotYours, TokenRefused
from kezek.notifications.models import OutboxMessage
from kezek.rush.errors import HolderHasClaim, SoldOut
from kezek.rush.services import waiting_room_join, waiting_room_status
from kezek.vouchers import errors
from kezek.vouchers.models import Voucher, VoucherApplication
from kezek.vouchers.services.issuing import (
    campaign_draw,
    campaign_issue_next,
    lottery_draw_due,
    voucher_apply,
    voucher_claim,
    vouchers_issue_due,
)
from tests.factories.people import add_benefit
from tests.factories.vouchers import (
    admission_token,
    claim_key,
    make_campaign,
    make_voucher_family,
    opening_time,
    stage,
)


def claim(campaign, user, child, *, key=None, token=None, number=1, **kwargs):
    return voucher_claim(
        actor=user, campaign_id=campaign.pk, stage_number=number, child_iin=child.iin,
        idempotency_key=key or claim_key(), token=admission_token(campaign, user, number) if token is None else token,
        now=kwargs.pop("now", None) or opening_time(campaign, number), **kwargs,
    )


# --- first come ------------------------------------------------------------------------------------


def test_claim_issues_a_voucher_audited_and_notified():
    campaign = make_campaign(quota=3)
    user, (child,) = make_voucher_family()
    result = claim(campaign, user, child)
    voucher = result.voucher
    assert result.created
    assert (voucher.status, voucher.kind, voucher.child_id, voucher.holder_id) == ("issued", "universal", child.pk, user.pk)
    assert stage(campaign).pool.taken == 1
    assert voucher.events.get().kind == "issued"
    assert AuditEvent.objects.filter(action="vouchers.voucher.issue", object_id=str(voucher.pk)).exists()
    assert OutboxMessage.objects.filter(idempotency_key=f"voucher:{voucher.pk}:issued").exists()


def test_the_real_waiting_room_gives_the_pass():
    campaign = make_campaign(quota=3)
    user, (child,) = make_voucher_family()
    opening = stage(campaign).opening
    before = opening.opens_at.timestamp() - 60
    waiting_room_join(opening=opening, account=user, now=before)
    status = waiting_room_status(opening=opening, account=user, now=opening.opens_at.timestamp() + 1)
    assert status.token
    assert claim(campaign, user, child, token=status.token).created


def test_replayed_claim_answers_the_original_voucher():
    campaign = make_campaign(quota=3)
    user, (child, sibling) = make_voucher_family(children=2)
    first = claim(campaign, user, child, key="same-key")
    again = claim(campaign, user, child, key="same-key")
    assert (again.voucher.pk, again.created) == (first.voucher.pk, False)
    assert Voucher.objects.count() == 1 and stage(campaign).pool.taken == 1


@pytest.mark.parametrize(
    ("make_token", "error"),
    [
        (lambda c, u, other: "", TokenMissing),
        (lambda c, u, other: "r1.1.2.3.forged", TokenRefused),
        (lambda c, u, other: admission_token(c, other), TokenNotYours),
        (lambda c, u, other: admission_token(c, u, ttl=1), TokenExpired),
    ],
)
def test_claim_refused_without_a_valid_pass(make_token, error):
    campaign = make_campaign(quota=3)
    user, (child,) = make_voucher_family()
    other, _ = make_voucher_family()
    with pytest.raises(error):
        claim(campaign, user, child, token=make_token(campaign, user, other))
    assert not Voucher.objects.exists() and stage(campaign).pool.taken == 0


def test_only_the_legal_representative_may_claim():
    campaign = make_campaign(quota=3)
    user, _ = make_voucher_family()
    _, (someone_elses_child,) = make_voucher_family()
    with pytest.raises(errors.NotLegalRepresentative):
        claim(campaign, user, someone_elses_child)
    assert not Voucher.objects.exists()


@pytest.mark.parametrize("age", [3, 18])
def test_age_limits_from_the_iin(age):
    campaign = make_campaign(quota=3)
    user, (child,) = make_voucher_family(age=age)
    with pytest.raises(ChildOutsideAges):
        claim(campaign, user, child)


def test_bad_iin_is_a_clear_error():
    campaign = make_campaign(quota=3)
    user, _ = make_voucher_family()
    with pytest.raises(InvalidIin):
        voucher_claim(actor=user, campaign_id=campaign.pk, stage_number=1, child_iin="12345", idempotency_key="k",
                      token=admission_token(campaign, user), now=opening_time(campaign))


def test_before_the_stage_opens_nothing_is_claimed():
    campaign = make_campaign(quota=3)
    user, (child,) = make_voucher_family()
    with pytest.raises(errors.StageNotOpen):
        claim(campaign, user, child, now=stage(campaign).opens_at - dt.timedelta(seconds=1))


def test_stage_share_is_never_exceeded():
    campaign = make_campaign(quota=3, shares=[2, 1])
    winners = [make_voucher_family() for _ in range(2)]
    for user, (child,) in winners:
        claim(campaign, user, child)
    late_user, (late_child,) = make_voucher_family()
    with pytest.raises(SoldOut):
        claim(campaign, late_user, late_child)
    # The second stage has its own share.
    assert claim(campaign, late_user, late_child, number=2).created
    assert [stage(campaign, n).pool.taken for n in (1, 2)] == [2, 1]


def test_one_voucher_per_child_and_kind():
    first = make_campaign(quota=4, shares=[2, 2])
    second = make_campaign(quota=3)
    user, (child,) = make_voucher_family()
    claim(first, user, child)
    with pytest.raises(HolderHasClaim):
        claim(first, user, child)
    with pytest.raises(errors.VoucherHeld):
        claim(first, user, child, number=2)
    with pytest.raises(errors.VoucherHeld):
        claim(second, user, child)
    assert Voucher.objects.count() == 1
    assert stage(first, 2).pool.taken == 0 and stage(second).pool.taken == 0
    # A targeted voucher is another kind: the child may hold one of each.
    targeted = make_campaign(quota=1, kind="targeted")
    assert claim(targeted, user, child).created


def test_the_database_refuses_a_second_held_voucher():
    campaign = make_campaign(quota=3)
    user, (child,) = make_voucher_family()
    voucher = claim(campaign, user, child).voucher
    with pytest.raises(IntegrityError), transaction.atomic():
        Voucher.objects.create(campaign=campaign, kind=voucher.kind, child=child, holder=user)


def test_apply_is_refused_for_first_come_and_claim_for_a_queue():
    first_come = make_campaign(quota=1)
    queue = make_campaign(quota=1, policy="queue")
    user, (child,) = make_voucher_family()
    with pytest.raises(errors.WrongPolicy):
        voucher_apply(actor=user, campaign_id=first_come.pk, child_iin=child.iin, idempotency_key="a",
                      now=opening_time(first_come))
    with pytest.raises(errors.WrongPolicy):
        voucher_claim(actor=user, campaign_id=queue.pk, stage_number=1, child_iin=child.iin, idempotency_key="b", token="")


# --- queue ------------------------------------------------------------------------------------------


def apply(campaign, user, child, *, key=None, at=None):
    return voucher_apply(actor=user, campaign_id=campaign.pk, child_iin=child.iin, idempotency_key=key or claim_key(),
                         now=at or opening_time(campaign)).application


def test_queue_serves_by_class_then_registration_time():
    campaign = make_campaign(quota=2, policy="queue")
    opens = opening_time(campaign)
    early_user, (early,) = make_voucher_family()
    late_user, (late,) = make_voucher_family()
    prio_user, (prio,) = make_voucher_family()
    add_benefit(prio, "large_family")
    apply(campaign, early_user, early, at=opens)
    apply(campaign, late_user, late, at=opens + dt.timedelta(minutes=5))
    prio_application = apply(campaign, prio_user, prio, at=opens + dt.timedelta(minutes=10))
    assert prio_application.priority_class == 1
    assert campaign_issue_next(campaign_id=campaign.pk, now=opens) == 2
    assert set(Voucher.objects.values_list("child_id", flat=True)) == {prio.pk, early.pk}
    campaign.refresh_from_db()
    assert campaign.held == 2
    assert vouchers_issue_due(now=opens) == 0
    assert VoucherApplication.objects.get(child=late).status == "waiting"


def test_apply_is_idempotent_and_once_per_child():
    campaign = make_campaign(quota=2, policy="queue")
    user, (child,) = make_voucher_family()
    first = apply(campaign, user, child, key="k1")
    assert apply(campaign, user, child, key="k1").pk == first.pk
    with pytest.raises(errors.AlreadyApplied):
        apply(campaign, user, child, key="k2")
    assert VoucherApplication.objects.count() == 1


def test_a_child_holding_a_voucher_is_skipped_by_the_queue():
    first_come = make_campaign(quota=1)
    queue = make_campaign(quota=1, policy="queue")
    user, (child,) = make_voucher_family()
    other_user, (other,) = make_voucher_family()
    apply(queue, user, child)
    apply(queue, other_user, other, at=opening_time(queue) + dt.timedelta(seconds=1))
    claim(first_come, user, child)
    campaign_issue_next(campaign_id=queue.pk, now=opening_time(queue))
    assert VoucherApplication.objects.get(child=child).status == "not_eligible"
    assert Voucher.objects.get(campaign=queue).child_id == other.pk


# --- lottery ----------------------------------------------------------------------------------------


def test_lottery_is_reproducible_from_the_published_seed():
    campaign = make_campaign(quota=2, policy="lottery")
    families = [make_voucher_family() for _ in range(5)]
    for user, (child,) in families:
        apply(campaign, user, child)
    closes = campaign.applications_close_at
    with pytest.raises(errors.NotYetDrawn):
        campaign_draw(campaign_id=campaign.pk, now=closes - dt.timedelta(seconds=1))
    late_user, (late_child,) = make_voucher_family()
    with pytest.raises(errors.ApplicationsClosed):
        apply(campaign, late_user, late_child, at=closes)
    assert lottery_draw_due(now=closes) == 1
    assert lottery_draw_due(now=closes) == 0
    campaign.refresh_from_db()
    assert campaign.seed_revealed and lottery.check_commitment(campaign.seed_hex, campaign.seed_commitment)
    # Anyone can recompute every number and the order from the revealed seed and the public ids.
    seed = bytes.fromhex(campaign.seed_hex)
    drawn = list(campaign.applications.order_by("rank"))
    assert [a.lottery_number for a in drawn] == [lottery.lottery_number(seed, a.public_id) for a in drawn]
    assert [a.lottery_number for a in drawn] == sorted(a.lottery_number for a in drawn)
    assert campaign_issue_next(campaign_id=campaign.pk, now=closes) == 2
    assert set(Voucher.objects.values_list("application_id", flat=True)) == {drawn[0].pk, drawn[1].pk}


def test_lottery_with_priority_classes_serves_the_class_first():
    campaign = make_campaign(quota=1, policy="lottery", use_priority_classes=True)
    families = [make_voucher_family() for _ in range(4)]
    add_benefit(families[3][1][0], "orphan")
    for user, (child,) in families:
        apply(campaign, user, child)
    campaign_draw(campaign_id=campaign.pk, now=campaign.applications_close_at)
    campaign_issue_next(campaign_id=campaign.pk, now=campaign.applications_close_at)
    assert Voucher.objects.get().child_id == families[3][1][0].pk


def test_a_claim_appends_one_audit_event_that_records_the_claim_too():
    campaign = make_campaign(quota=3)
    user, (child,) = make_voucher_family()
    last_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    voucher = claim(campaign, user, child, request_id="req-claim-1").voucher
    (event,) = AuditEvent.objects.filter(seq__gt=last_seq)  # one append to the chain per claim
    assert (event.action, event.object_id, event.request_id) == ("vouchers.voucher.issue", str(voucher.pk), "req-claim-1")
    pool_claim_row = voucher.pool_claim
    assert event.after["claim"] == {
        "pool_claim_id": pool_claim_row.pk, "opening": pool_claim_row.opening_id, "pool": pool_claim_row.pool.key,
        "holder": pool_claim_row.holder, "result": {"voucher_id": voucher.pk, "number": voucher.number},
    }
    assert pool_claim_row.result == {"voucher_id": voucher.pk, "number": voucher.number}
