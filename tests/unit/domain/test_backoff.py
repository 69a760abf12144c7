import pytest
from hypothesis import given
from hypothesis import strategies as st

from kezek.domain.backoff import retry_delay_seconds


def test_schedule_doubles_from_five_seconds():
    assert [retry_delay_seconds(n) for n in range(1, 6)] == [5, 10, 20, 40, 80]


def test_schedule_stops_at_one_hour():
    assert retry_delay_seconds(11) == 3600  # 5 * 2**10 = 5120 > 3600
    assert retry_delay_seconds(10) == 2560


def test_huge_attempt_numbers_stay_at_the_cap():
    assert retry_delay_seconds(10_000) == 3600


def test_custom_base_and_cap():
    assert [retry_delay_seconds(n, base=1, cap=3) for n in (1, 2, 3)] == [1, 2, 3]


def test_gateway_may_ask_for_a_longer_pause_but_not_beyond_the_cap():
    assert retry_delay_seconds(1, requested=30) == 30
    assert retry_delay_seconds(1, requested=99_999) == 3600


def test_a_shorter_requested_pause_does_not_shorten_the_backoff():
    assert retry_delay_seconds(3, requested=1) == 20


@pytest.mark.parametrize("attempt", [0, -1])
def test_attempts_count_from_one(attempt):
    with pytest.raises(ValueError, match="from 1"):
        retry_delay_seconds(attempt)


@pytest.mark.parametrize(("base", "cap"), [(0, 10), (-1, 10), (10, 5)])
def test_nonsense_parameters_are_refused(base, cap):
    with pytest.raises(ValueError, match="base"):
        retry_delay_seconds(1, base=base, cap=cap)


@given(st.integers(min_value=1, max_value=500))
def test_delay_never_shrinks_and_never_exceeds_the_cap(attempt):
    assert 5 <= retry_delay_seconds(attempt) <= retry_delay_seconds(attempt + 1) <= 3600
