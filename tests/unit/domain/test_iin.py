import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kezek.domain.iin import (
    InvalidIin,
    age_in_months,
    age_in_years,
    build_iin,
    check_digit,
    is_valid_iin,
    parse_iin,
)


@pytest.mark.parametrize(
    ("text", "birth_date", "sex"),
    [
        ("190523501236", dt.date(2019, 5, 23), "M"),
        ("210301600455", dt.date(2021, 3, 1), "F"),
        ("880701401235", dt.date(1988, 7, 1), "F"),
    ],
)
def test_examples_from_the_domain_notes_parse(text, birth_date, sex):
    iin = parse_iin(text)
    assert (iin.value, iin.birth_date, iin.sex, str(iin)) == (text, birth_date, sex, text)


@pytest.mark.parametrize("text", ["190523501236", "210301600455", "880701401235"])
def test_changing_the_last_digit_fails(text):
    for digit in "0123456789":
        if digit != text[-1]:
            with pytest.raises(InvalidIin) as err:
                parse_iin(text[:-1] + digit)
            assert err.value.reason == "check_digit"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "length"),
        ("19052350123", "length"),
        ("1905235012366", "length"),
        ("19052350123a", "non_digit"),
        ("１９０５２３５０１２３６", "non_digit"),  # full-width digits are digits to Python, not to the IIN
        ("190523701236", "century_digit"),
        ("190523001236", "century_digit"),
        ("191323501236", "impossible_date"),
        ("190230501236", "impossible_date"),
        ("190500501236", "impossible_date"),
    ],
)
def test_each_rule_has_its_reason(text, reason):
    with pytest.raises(InvalidIin) as err:
        parse_iin(text)
    assert err.value.reason == reason
    assert err.value.code == "invalid_iin"
    assert err.value.params["reason"] == reason


def test_surrounding_spaces_are_ignored():
    assert parse_iin(" 190523501236 ").value == "190523501236"


def test_second_weights_are_used_when_the_first_pass_gives_ten():
    # 0000000000 + 7 -> first pass 7*11 % 11 = 0 ... find a prefix whose first pass is 10 instead
    prefix = next(f"{n:011d}" for n in range(10**6) if sum(int(c) * w for c, w in zip(f"{n:011d}", range(1, 12))) % 11 == 10)
    second = sum(int(c) * w for c, w in zip(prefix, (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2))) % 11
    assert check_digit(prefix) == (None if second == 10 else second)


def test_a_number_whose_both_passes_give_ten_is_never_valid():
    born = dt.date(2019, 5, 23)
    serials = [s for s in range(10000) if build_iin(born, "M", s) is None]
    assert serials, "some serials have no valid check digit"
    prefix = f"{born:%y%m%d}5{serials[0]:04d}"
    assert all(not is_valid_iin(prefix + d) for d in "0123456789")


@given(
    st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2099, 12, 31)),
    st.sampled_from(["M", "F"]),
    st.integers(0, 9999),
)
def test_built_iins_round_trip(born, sex, serial):
    value = build_iin(born, sex, serial)
    if value is None:
        return
    iin = parse_iin(value)
    assert (iin.birth_date, iin.sex) == (born, sex)


def test_build_rejects_out_of_range_inputs():
    with pytest.raises(ValueError):
        build_iin(dt.date(1799, 12, 31), "M", 1)
    with pytest.raises(ValueError):
        build_iin(dt.date(2000, 1, 1), "F", 10000)


def test_is_valid_iin():
    assert is_valid_iin("190523501236")
    assert not is_valid_iin("190523501237")


@pytest.mark.parametrize(
    ("born", "day", "years", "months"),
    [
        (dt.date(2019, 5, 23), dt.date(2025, 5, 22), 5, 71),
        (dt.date(2019, 5, 23), dt.date(2025, 5, 23), 6, 72),
        (dt.date(2019, 5, 23), dt.date(2019, 5, 23), 0, 0),
        (dt.date(2019, 5, 23), dt.date(2019, 5, 22), -1, -1),
    ],
)
def test_age_on_a_reference_date(born, day, years, months):
    assert age_in_years(born, day) == years
    assert age_in_months(born, day) == months


def test_iin_age_on():
    assert parse_iin("190523501236").age_on(dt.date(2025, 9, 1)) == 6


def test_mask_iin_keeps_the_first_four_and_last_two_digits():
    from kezek.domain.iin import mask_iin

    assert mask_iin("190523501236") == "1905******36"
    assert mask_iin("12345") == "*****"
