"""Offer and referral deadlines: working days (holidays, transferred days), calendar hours, extension, reactivation."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kezek.domain.deadlines import (
    ExtensionAlreadyUsed,
    ExtensionOutOfRange,
    ReactivationAlreadyUsed,
    ReactivationWindowClosed,
    check_reactivation,
    contract_deadline,
    end_of_working_days,
    extended_deadline,
    offer_deadline,
    reactivation_until,
)

ALMATY = ZoneInfo("Asia/Almaty")


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ALMATY)


@pytest.mark.parametrize(
    ("offered_at", "days", "deadline"),
    [
        # An ordinary week: Mon 17 March 2025 -> Tue 18, Wed 19: until the end of Wed 19.
        (local(2025, 3, 17, 10, 0), 2, local(2025, 3, 20)),
        # Across Nauryz (21-25 March 2025 off): Thu 20 -> Wed 26, Thu 27.
        (local(2025, 3, 20, 9, 0), 2, local(2025, 3, 28)),
        # Made during Nauryz itself: counting starts after it, Wed 26, Thu 27.
        (local(2025, 3, 22, 12, 0), 2, local(2025, 3, 28)),
        # Across the transferred day: Fri 3 January 2025 is off, Sun 5 January is worked.
        # Thu 2 January (a holiday) -> Sun 5, Mon 6.
        (local(2025, 1, 2, 11, 0), 2, local(2025, 1, 7)),
        # Tue 31 December 2024 -> (1-4 off) Sun 5 is the first working day.
        (local(2024, 12, 31, 17, 0), 1, local(2025, 1, 6)),
        # Late on Friday: the weekend does not count, Mon and Tue do.
        (local(2025, 3, 14, 23, 59), 2, local(2025, 3, 19)),
    ],
)
def test_offer_deadline_in_working_days(offered_at, days, deadline):
    assert offer_deadline(offered_at, "working_days", days, ALMATY) == deadline


def test_offer_deadline_takes_the_local_day_of_a_utc_instant():
    # 20:00 UTC on Thu 20 March 2025 is already Fri 21 (Nauryz) in Almaty: Wed 26 and Thu 27 count.
    offered_at = dt.datetime(2025, 3, 20, 20, 0, tzinfo=dt.UTC)
    assert offer_deadline(offered_at, "working_days", 2, ALMATY) == local(2025, 3, 28)


def test_offer_deadline_in_hours_runs_across_midnight_and_holidays():
    assert offer_deadline(local(2025, 3, 20, 22, 30), "hours", 2, ALMATY) == local(2025, 3, 21, 0, 30)
    assert offer_deadline(local(2025, 3, 20, 22, 30), "hours", 48, ALMATY) == local(2025, 3, 22, 22, 30)


@pytest.mark.parametrize(("unit", "value"), [("working_days", 0), ("hours", 0), ("weeks", 2)])
def test_offer_deadline_refuses_a_bad_rule(unit, value):
    with pytest.raises(ValueError):
        offer_deadline(local(2025, 3, 17, 10, 0), unit, value, ALMATY)


@pytest.mark.parametrize("unit", ["working_days", "hours"])
def test_offer_deadline_needs_an_aware_time(unit):
    with pytest.raises(ValueError):
        offer_deadline(dt.datetime(2025, 3, 17, 10, 0), unit, 2, ALMATY)


@pytest.mark.parametrize(
    ("issued_at", "deadline"),
    [
        # Thu 13 March 2025 -> Fri 14, Mon 17, Tue 18, Wed 19, Thu 20.
        (local(2025, 3, 13, 15, 0), local(2025, 3, 21)),
        # Mon 17 March 2025 -> Tue 18, Wed 19, Thu 20, (Nauryz), Wed 26, Thu 27.
        (local(2025, 3, 17, 9, 0), local(2025, 3, 28)),
        # Mon 30 December 2024 -> Tue 31, Sun 5 (worked), Mon 6, (7 off), Wed 8, Thu 9.
        (local(2024, 12, 30, 9, 30), local(2025, 1, 10)),
    ],
)
def test_contract_deadline_is_the_end_of_the_fifth_working_day(issued_at, deadline):
    assert contract_deadline(issued_at, 5, ALMATY) == deadline


def test_end_of_working_days_is_local_midnight():
    deadline = end_of_working_days(local(2025, 3, 13, 15, 0), 1, ALMATY)
    assert (deadline.hour, deadline.minute, deadline.tzinfo) == (0, 0, ALMATY)


def test_extension_adds_calendar_days_to_the_current_deadline():
    current = local(2025, 3, 28)
    assert extended_deadline(current=current, days=30, max_days=30, already_extended=False) == local(2025, 4, 27)
    assert extended_deadline(current=current, days=1, max_days=30, already_extended=False) == local(2025, 3, 29)


@pytest.mark.parametrize("days", [0, -1, 31])
def test_extension_outside_1_to_30_days_is_refused(days):
    with pytest.raises(ExtensionOutOfRange) as error:
        extended_deadline(current=local(2025, 3, 28), days=days, max_days=30, already_extended=False)
    assert error.value.params == {"max_days": 30}


def test_second_extension_is_refused():
    with pytest.raises(ExtensionAlreadyUsed):
        extended_deadline(current=local(2025, 3, 28), days=5, max_days=30, already_extended=True)


def test_reactivation_window_is_28_calendar_days():
    since = local(2025, 3, 1, 0, 0)
    assert reactivation_until(since, 28) == local(2025, 3, 29, 0, 0)
    check_reactivation(inactive_since=since, now=local(2025, 3, 28, 23, 59), days=28, used=0)
    with pytest.raises(ReactivationWindowClosed) as error:
        check_reactivation(inactive_since=since, now=local(2025, 3, 29, 0, 0), days=28, used=0)
    assert error.value.params == {"days": 28}


def test_reactivation_only_once():
    with pytest.raises(ReactivationAlreadyUsed):
        check_reactivation(inactive_since=local(2025, 3, 1), now=local(2025, 3, 2), days=28, used=1)
