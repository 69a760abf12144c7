"""Club voucher rules: statuses, lead time, stage shares, ages, reasons and the lottery order."""

from __future__ import annotations

import datetime as dt

import pytest

from kezek.domain import lottery
from kezek.domain.vouchers import (
    CAMPAIGN_TRANSITIONS,
    HELD_STATUSES,
    SEATED_STATUSES,
    VOUCHER_TRANSITIONS,
    AnnouncedTooLate,
    CampaignStatus,
    CampaignTransitionNotAllowed,
    ChildOutsideAges,
    DuplicateStageTime,
    InvalidAges,
    InvalidPeriod,
    InvalidQuota,
    InvalidShare,
    NoStages,
    ReasonRequired,
    SharesDoNotAddUp,
    StageAfterPeriod,
    StagePlan,
    VoucherStatus,
    VoucherTransitionNotAllowed,
    Waiting,
    agreement_hash,
    check_announcement_lead,
    check_campaign_plan,
    check_campaign_transition,
    check_child_age,
    check_voucher_transition,
    clean_reason,
    earliest_first_stage,
    holder_key,
    lottery_order,
    ownership_for_kind,
    section_accepts_age,
)

NOW = dt.datetime(2026, 8, 1, 9, 0, tzinfo=dt.UTC)
V = VoucherStatus


def plan(**overrides):
    values = {
        "quota": 10, "monthly_value": 20_000, "period_start": dt.date(2026, 9, 1), "period_end": dt.date(2027, 5, 31),
        "min_age": 4, "max_age": 17,
        "stages": [StagePlan(NOW + dt.timedelta(days=2), 6), StagePlan(NOW + dt.timedelta(days=9), 4)],
    }
    values.update(overrides)
    return values


def test_every_status_has_a_transition_row():
    assert set(CAMPAIGN_TRANSITIONS) == set(CampaignStatus)
    assert set(VOUCHER_TRANSITIONS) == set(VoucherStatus)
    assert SEATED_STATUSES < HELD_STATUSES


@pytest.mark.parametrize(("current", "target"), [("draft", "announced"), ("announced", "open"), ("open", "closed")])
def test_campaign_moves_forward(current, target):
    check_campaign_transition(current, target)


@pytest.mark.parametrize(("current", "target"), [("announced", "draft"), ("closed", "open"), ("draft", "open")])
def test_campaign_never_moves_back(current, target):
    with pytest.raises(CampaignTransitionNotAllowed) as info:
        check_campaign_transition(current, target)
    assert info.value.params == {"current": current, "target": target}


@pytest.mark.parametrize(
    ("current", "target"),
    [(V.ISSUED, V.PLACED), (V.PLACED, V.ACTIVE), (V.PLACED, V.ISSUED), (V.ACTIVE, V.PLACED), (V.ACTIVE, V.SUSPENDED),
     (V.SUSPENDED, V.ACTIVE), (V.ACTIVE, V.RELEASED), (V.SUSPENDED, V.CANCELLED), (V.ISSUED, V.EXPIRED)],
)
def test_voucher_life(current, target):
    check_voucher_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [(V.ISSUED, V.ACTIVE), (V.CANCELLED, V.ACTIVE), (V.RELEASED, V.ISSUED), (V.EXPIRED, V.ACTIVE), (V.SUSPENDED, V.RELEASED)],
)
def test_voucher_refused_transitions(current, target):
    with pytest.raises(VoucherTransitionNotAllowed):
        check_voucher_transition(current, target)


def test_announcement_lead_time():
    first = NOW + dt.timedelta(hours=24)
    check_announcement_lead(now=NOW, first_stage_at=first, lead_hours=24)
    assert earliest_first_stage(now=NOW, lead_hours=24) == first
    with pytest.raises(AnnouncedTooLate) as info:
        check_announcement_lead(now=NOW, first_stage_at=first - dt.timedelta(seconds=1), lead_hours=24)
    assert info.value.params["hours"] == 24
    assert info.value.params["earliest"] == "2026-08-02T09:00+00:00"


def test_a_valid_plan_passes():
    check_campaign_plan(**plan())


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"quota": 0}, InvalidQuota),
        ({"monthly_value": 0}, InvalidQuota),
        ({"period_end": dt.date(2026, 9, 1)}, InvalidPeriod),
        ({"min_age": 3}, InvalidAges),
        ({"max_age": 18}, InvalidAges),
        ({"min_age": 10, "max_age": 9}, InvalidAges),
        ({"stages": []}, NoStages),
        ({"stages": [StagePlan(NOW, 0), StagePlan(NOW + dt.timedelta(days=1), 10)]}, InvalidShare),
        ({"stages": [StagePlan(NOW, 5), StagePlan(NOW, 5)]}, DuplicateStageTime),
        ({"stages": [StagePlan(dt.datetime(2027, 6, 1, tzinfo=dt.UTC), 10)]}, StageAfterPeriod),
        ({"stages": [StagePlan(NOW, 6), StagePlan(NOW + dt.timedelta(days=1), 5)]}, SharesDoNotAddUp),
    ],
)
def test_plans_refused(overrides, error):
    with pytest.raises(error):
        check_campaign_plan(**plan(**overrides))


def test_shares_mismatch_names_both_numbers():
    with pytest.raises(SharesDoNotAddUp) as info:
        check_campaign_plan(**plan(quota=12))
    assert info.value.params == {"total": 10, "quota": 12}


def test_reason_required_and_trimmed():
    assert clean_reason("  moved by the akimat's order  ") == "moved by the akimat's order"
    assert len(clean_reason("x" * 5000)) == 1000
    for empty in ("", "   ", None):
        with pytest.raises(ReasonRequired):
            clean_reason(empty)


def test_child_age_on_the_period_start():
    start = dt.date(2026, 9, 1)
    assert check_child_age(birth_date=dt.date(2022, 9, 1), period_start=start, min_age=4, max_age=17) == 4
    with pytest.raises(ChildOutsideAges) as info:
        check_child_age(birth_date=dt.date(2022, 9, 2), period_start=start, min_age=4, max_age=17)
    assert info.value.params["age"] == 3
    with pytest.raises(ChildOutsideAges):
        check_child_age(birth_date=dt.date(2008, 9, 1), period_start=start, min_age=4, max_age=17)


def test_holder_key_and_ownership():
    assert holder_key(child_id=42, kind="universal") == "child:42:universal"
    assert ownership_for_kind("targeted") == "state"
    assert ownership_for_kind("universal") == "private"


def test_section_age_range():
    assert section_accepts_age(age_min_months=48, age_max_months=95, years=4)
    assert section_accepts_age(age_min_months=59, age_max_months=95, years=4)  # turns 5 during the year of life
    assert not section_accepts_age(age_min_months=60, age_max_months=95, years=4)
    assert not section_accepts_age(age_min_months=48, age_max_months=95, years=8)


def test_agreement_hash_is_sha256_of_the_text():
    assert agreement_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_lottery_order_is_reproducible_from_the_seed():
    seed = bytes(range(32))
    waiting = [Waiting(public_id=f"app{i}", priority_class=2 - i % 2, pk=i) for i in range(20)]
    ordered = lottery_order(waiting, number=lambda pid: lottery.lottery_number(seed, pid), use_classes=False)
    numbers = [lottery.lottery_number(seed, w.public_id) for w in ordered]
    assert numbers == sorted(numbers)
    assert lottery_order(reversed(waiting), number=lambda pid: lottery.lottery_number(seed, pid), use_classes=False) == ordered


def test_lottery_order_by_class_first_when_used():
    waiting = [Waiting("b", 2, 1), Waiting("a", 2, 2), Waiting("z", 1, 3)]
    assert [w.public_id for w in lottery_order(waiting, number=lambda p: p, use_classes=True)] == ["z", "a", "b"]
    assert [w.public_id for w in lottery_order(waiting, number=lambda p: p, use_classes=False)] == ["a", "b", "z"]
