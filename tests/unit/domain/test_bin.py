import pytest
from hypothesis import given
from hypothesis import strategies as st

from kezek.domain.bin import InvalidBin, build_bin, parse_bin
from kezek.domain.errors import InvalidInput

# Published BINs of Kazakh banks: real numbers must pass.
REAL_BINS = ["971240001315", "940140000385"]


@pytest.mark.parametrize("text", REAL_BINS)
def test_real_bins_parse(text):
    assert parse_bin(f"  {text} ") == text


@pytest.mark.parametrize("text", REAL_BINS)
def test_changing_the_last_digit_fails(text):
    for digit in "0123456789":
        if digit != text[-1]:
            with pytest.raises(InvalidBin) as err:
                parse_bin(text[:-1] + digit)
            assert err.value.reason == "check_digit"
            assert err.value.code == "invalid_bin"


@pytest.mark.parametrize(("text", "reason"), [("", "length"), ("97124000131", "length"), ("9712400013150", "length"),
                                              ("97124000131a", "non_digit"), ("９７１２４０００１３１５", "non_digit")])
def test_malformed_text_is_rejected_with_its_reason(text, reason):
    with pytest.raises(InvalidBin) as err:
        parse_bin(text)
    assert err.value.reason == reason
    assert isinstance(err.value, InvalidInput)


def test_length_error_says_the_length():
    with pytest.raises(InvalidBin) as err:
        parse_bin("123")
    assert "3" in str(err.value)


def test_build_bin_uses_the_second_weights_when_the_first_give_ten():
    assert build_bin("00000000010") == "000000000101"
    assert parse_bin("000000000101") == "000000000101"


def test_build_bin_returns_none_when_no_check_digit_exists():
    assert build_bin("00000000281") is None


@pytest.mark.parametrize("prefix", ["", "1234567890", "123456789012", "1234567890a"])
def test_build_bin_rejects_a_bad_prefix(prefix):
    with pytest.raises(ValueError):
        build_bin(prefix)


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_built_bins_always_parse(prefix):
    built = build_bin(prefix)
    if built is not None:
        assert parse_bin(built) == built
        assert built[:11] == prefix
