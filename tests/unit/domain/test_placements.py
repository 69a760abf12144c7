"""Offer, referral and enrolment transitions, referral numbers and who is next in line."""

import pytest

from kezek.domain.placements import (
    ENROLMENT_TRANSITIONS,
    OFFER_TRANSITIONS,
    REFERRAL_TRANSITIONS,
    PlacementTransitionNotAllowed,
    check_enrolment_transition,
    check_offer_transition,
    check_referral_transition,
    next_in_line,
    referral_number,
)

CHECKS = [
    (check_offer_transition, OFFER_TRANSITIONS),
    (check_referral_transition, REFERRAL_TRANSITIONS),
    (check_enrolment_transition, ENROLMENT_TRANSITIONS),
]


@pytest.mark.parametrize(("check", "table"), CHECKS)
def test_every_pair_follows_its_table(check, table):
    for current, allowed in table.items():
        for target in table:
            if target in allowed:
                check(current.value, target.value)
            else:
                with pytest.raises(PlacementTransitionNotAllowed) as error:
                    check(current.value, target.value)
                assert error.value.params == {"current": current.value, "target": target.value}


def test_an_open_offer_is_answered_or_ends_once():
    assert OFFER_TRANSITIONS["open"] == {"accepted", "declined", "expired", "cancelled"}
    assert all(not OFFER_TRANSITIONS[s] for s in ("accepted", "declined", "expired", "cancelled"))
    assert REFERRAL_TRANSITIONS["issued"] == {"contracted", "expired", "cancelled"}


def test_unknown_status_is_refused():
    with pytest.raises(ValueError):
        check_offer_transition("open", "maybe")


def test_referral_number():
    assert referral_number(district_code="astana-yesil", year=2025, seq=7) == "KZ-ASTANA-YESIL-2025-000007"
    with pytest.raises(ValueError):
        referral_number(district_code="astana-yesil", year=2025, seq=0)


def test_next_in_line_is_the_first_eligible_in_the_stored_order():
    assert next_in_line(["a", "b", "c"], {"c", "b"}) == "b"
    assert next_in_line(["a", "b"], set()) is None
    assert next_in_line(iter(["x"]), frozenset({"x"})) == "x"
