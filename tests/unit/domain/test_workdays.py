"""Kazakhstan's working-day calendar and the "N working days" deadline rule."""

import datetime as dt

import pytest

from kezek.domain.workdays import add_working_days, is_working_day, working_days_between

D = dt.date


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2025, 3, 20), True),  # an ordinary Thursday
        (D(2025, 3, 15), False),  # Saturday
        (D(2025, 3, 16), False),  # Sunday
        (D(2025, 3, 21), False),  # Nauryz
        (D(2025, 3, 24), False),  # Nauryz falling on the weekend, transferred to Monday
        (D(2025, 3, 25), False),  # and Tuesday
        (D(2025, 1, 3), False),  # Friday made a day off, transferred from...
        (D(2025, 1, 5), True),  # ...Sunday 5 January 2025, a working day
        (D(2026, 5, 7), False),  # Defender of the Fatherland Day
        (D(2026, 5, 11), False),  # Victory Day (9 May, a Saturday) moved to Monday
    ],
)
def test_is_working_day(day, working):
    assert is_working_day(day) is working


def test_deadline_within_an_ordinary_week_does_not_count_the_start_day():
    assert add_working_days(D(2025, 3, 13), 5) == D(2025, 3, 20)
    assert add_working_days(D(2025, 3, 13), 1) == D(2025, 3, 14)


def test_deadline_across_nauryz_skips_21_to_25_march():
    # Tue 18, Wed 19, Thu 20, then Nauryz (21-25 March incl. the transferred Mon/Tue), Wed 26, Thu 27.
    assert add_working_days(D(2025, 3, 17), 5) == D(2025, 3, 27)
    assert add_working_days(D(2026, 3, 19), 2) == D(2026, 3, 26)


def test_deadline_across_new_year_2025_counts_the_transferred_working_sunday():
    # Tue 31 Dec, Sun 5 Jan (worked instead of Fri 3 Jan), Mon 6, (7 Jan Orthodox Christmas), Wed 8, Thu 9.
    assert add_working_days(D(2024, 12, 30), 5) == D(2025, 1, 9)
    # A claim made on a holiday starts counting from the next working day, here a Sunday.
    assert add_working_days(D(2025, 1, 2), 1) == D(2025, 1, 5)
    assert add_working_days(D(2025, 1, 2), 5) == D(2025, 1, 10)


def test_deadline_across_the_may_2026_holidays():
    # Wed 6 May -> Fri 8 (7 May off), then 9-11 May off (Victory Day moved to Monday), Tue 12 ... Fri 15.
    assert add_working_days(D(2026, 5, 6), 5) == D(2026, 5, 15)
    assert add_working_days(D(2026, 5, 8), 1) == D(2026, 5, 12)


def test_deadline_starting_on_a_weekend():
    assert add_working_days(D(2025, 3, 22), 5) == D(2025, 4, 1)


def test_zero_or_negative_days_is_a_programming_error():
    with pytest.raises(ValueError):
        add_working_days(D(2025, 3, 17), 0)


def test_working_days_between_counts_after_start_up_to_end():
    assert working_days_between(D(2025, 3, 17), D(2025, 3, 27)) == 5
    assert working_days_between(D(2024, 12, 30), D(2025, 1, 9)) == 5
    assert working_days_between(D(2025, 3, 20), D(2025, 3, 25)) == 0
    assert working_days_between(D(2025, 3, 27), D(2025, 3, 17)) == 0
    assert working_days_between(D(2025, 3, 17), D(2025, 3, 17)) == 0


@pytest.mark.parametrize("start", [D(2024, 12, 30), D(2025, 3, 14), D(2026, 5, 6), D(2025, 1, 2)])
@pytest.mark.parametrize("days", [1, 3, 5, 10])
def test_add_and_between_agree(start, days):
    end = add_working_days(start, days)
    assert is_working_day(end)
    assert working_days_between(start, end) == days
