"""The committed seed and the lottery numbers derived from it."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from kezek.domain.lottery import (
    SEED_BYTES,
    check_commitment,
    lottery_digests,
    lottery_number,
    new_seed,
    seed_commitment,
)


def test_commitment_is_the_sha256_of_the_raw_seed_bytes():
    assert seed_commitment(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert seed_commitment(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_lottery_number_is_hmac_sha256_of_the_public_id():
    # RFC 4231, test case 2.
    assert lottery_number(b"Jefe", "what do ya want for nothing?") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )
    assert lottery_number(b"k", "Қазақ-1") == hmac.new(b"k", "Қазақ-1".encode(), hashlib.sha256).hexdigest()


@given(seed=st.one_of(st.binary(max_size=70), st.binary(min_size=64, max_size=200)), ids=st.lists(st.text(max_size=80), max_size=8))
def test_many_digests_at_once_equal_one_by_one(seed, ids):
    digests = lottery_digests(seed, ids)
    assert [digests[i * 32 : (i + 1) * 32].hex() for i in range(len(ids))] == [lottery_number(seed, x) for x in ids]


@given(seed=st.binary(min_size=1, max_size=40), a=st.text(min_size=1), b=st.text(min_size=1))
def test_hex_numbers_compare_like_the_integers(seed, a, b):
    x, y = lottery_number(seed, a), lottery_number(seed, b)
    assert len(x) == len(y) == 64
    assert (x < y) == (int(x, 16) < int(y, 16))


def test_new_seeds_are_32_fresh_bytes():
    first, second = new_seed(), new_seed()
    assert len(first) == SEED_BYTES and first != second


def test_check_commitment():
    seed = new_seed()
    commitment = seed_commitment(seed)
    assert check_commitment(seed.hex(), commitment)
    assert check_commitment(seed.hex().upper(), f" {commitment.upper()} ")
    assert not check_commitment(new_seed().hex(), commitment)
    assert not check_commitment("not hex", commitment)
    assert not check_commitment("abc", commitment)  # odd number of digits
    assert not check_commitment(seed.hex(), None)  # type: ignore[arg-type]
