import datetime as dt

import pytest

from kezek.domain.iin import is_valid_iin
from kezek.domain.privacy import (
    ErasureRequestClosed,
    check_erasure_transition,
    PersonHasLiveRecords,
    generalised_birth_date,
    is_placeholder_iin,
    live_items,
    placeholder_iin,
    retention_cutoff,
)


def test_placeholder_iins_are_unique_twelve_digits_and_never_valid():
    made = [placeholder_iin(n) for n in (1, 42, 99_999_999)]
    assert made == ["000000000001", "000000000042", "000099999999"]
    assert all(len(p) == 12 and p.isdigit() and not is_valid_iin(p) for p in made)
    assert all(is_placeholder_iin(p) for p in made)


@pytest.mark.parametrize("person_id", [0, -1, 100_000_000])
def test_placeholder_refuses_ids_it_cannot_encode(person_id):
    with pytest.raises(ValueError):
        placeholder_iin(person_id)


@pytest.mark.parametrize("text", ["190523501236", "00000000001", "0000abcdefgh", "0001000000001"])
def test_real_or_malformed_iins_are_not_placeholders(text):
    assert not is_placeholder_iin(text)


def test_birth_date_keeps_only_the_year():
    assert generalised_birth_date(dt.date(2021, 3, 17)) == dt.date(2021, 1, 1)


def test_retention_cutoff_is_now_minus_days_and_zero_keeps_for_ever():
    now = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    assert retention_cutoff(now, 30) == dt.datetime(2026, 5, 2, 12, tzinfo=dt.UTC)
    assert retention_cutoff(now, 0) is None
    assert retention_cutoff(now, -5) is None


def test_live_items_are_labelled_in_a_stable_order_and_the_error_lists_them():
    items = live_items([("voucher", 7), ("application", 12), ("application", 3)])
    assert items == ["application #12", "application #3", "voucher #7"]
    error = PersonHasLiveRecords(items=items)
    assert error.code == "person_has_live_records" and error.kind == "conflict"
    assert error.items == items and "application #12; application #3; voucher #7" in str(error)


@pytest.mark.parametrize("target", ["done", "refused"])
def test_an_open_erasure_request_is_decided_once(target):
    check_erasure_transition("open", target)
    for decided in ("done", "refused"):
        with pytest.raises(ErasureRequestClosed):
            check_erasure_transition(decided, target)


def test_an_erasure_request_never_reopens():
    with pytest.raises(ErasureRequestClosed):
        check_erasure_transition("refused", "open")
