import random

import pytest

from kezek.domain import waiting_room as wr
from kezek.domain.errors import Forbidden

KEY = wr.token_key("server-secret")
OPENS = 1_000_000.0


# --- order --------------------------------------------------------------------------------------


def test_shuffle_keys_are_random_and_below_every_later_arrival():
    keys = {wr.shuffle_key() for _ in range(500)}
    assert len(keys) == 500
    assert all(0 <= k < wr.LATE_BASE for k in keys)
    assert max(keys) < wr.late_key(1) < wr.late_key(2)


def test_shuffle_key_uses_the_given_random_source():
    assert wr.shuffle_key(lambda n: n - 1) == wr.LATE_BASE - 1
    assert wr.shuffle_key(lambda n: 0) == 0


def test_keys_are_exact_as_redis_double_scores():
    assert float(wr.late_key(10_000_000)) == wr.late_key(10_000_000)
    assert float(wr.LATE_BASE - 1) == wr.LATE_BASE - 1


def _spearman(xs: list[int], ys: list[int]) -> float:
    n = len(xs)
    d2 = sum((x - y) ** 2 for x, y in zip(xs, ys, strict=True))
    return 1 - 6 * d2 / (n * (n * n - 1))


def test_order_after_shuffle_does_not_follow_arrival_order():
    rng = random.Random(20240901)
    arrivals = list(range(5000))  # arrival order before the opening
    keys = {a: wr.shuffle_key(rng.randrange) for a in arrivals}
    admitted = sorted(arrivals, key=keys.__getitem__)
    rank_of = {a: r for r, a in enumerate(admitted)}
    assert abs(_spearman(arrivals, [rank_of[a] for a in arrivals])) < 0.05


# --- schedule -----------------------------------------------------------------------------------


def test_rank_r_is_admitted_at_opening_plus_r_minus_one_over_rate():
    assert wr.scheduled_admission(opens_at=OPENS, rank=1, rate=50) == OPENS
    assert wr.scheduled_admission(opens_at=OPENS, rank=51, rate=50) == OPENS + 1
    assert wr.scheduled_admission(opens_at=OPENS, rank=4, rate=2) == OPENS + 1.5


def test_last_prequeue_admission_with_and_without_shuffled_arrivals():
    assert wr.last_prequeue_admission(opens_at=OPENS, prequeue_size=100, rate=50) == OPENS + 99 / 50
    assert wr.last_prequeue_admission(opens_at=OPENS, prequeue_size=0, rate=10) == OPENS - 0.1


def test_later_arrivals_follow_at_the_rate_but_never_before_they_arrive():
    last = wr.last_prequeue_admission(opens_at=OPENS, prequeue_size=0, rate=10)
    first = wr.late_admission(now=OPENS + 0.01, previous=last, rate=10)
    assert first == OPENS + 0.01
    # A burst after a quiet spell: the first is let in at once, the next ones one slot apart.
    quiet = wr.late_admission(now=OPENS + 500, previous=first, rate=10)
    assert quiet == OPENS + 500
    assert wr.late_admission(now=OPENS + 500, previous=quiet, rate=10) == pytest.approx(OPENS + 500.1)


# --- status -------------------------------------------------------------------------------------


def test_before_the_opening_there_is_no_position_only_a_countdown():
    status = wr.visitor_status(now=OPENS - 90.5, opens_at=OPENS, admitted_at=OPENS + 5, rate=10, token_ttl=60)
    assert status == wr.VisitorStatus(wr.VisitorState.WAITING_FOR_OPENING, None, 91, None, None)
    late_clock = wr.visitor_status(now=OPENS + 1, opens_at=OPENS, admitted_at=None, rate=10, token_ttl=60)
    assert (late_clock.state, late_clock.wait_seconds) == (wr.VisitorState.WAITING_FOR_OPENING, 0)


def test_queued_position_counts_the_admission_slots_ahead():
    status = wr.visitor_status(now=OPENS, opens_at=OPENS, admitted_at=OPENS + 10, rate=5, token_ttl=60)
    assert status.state is wr.VisitorState.QUEUED
    assert (status.position, status.wait_seconds, status.admitted_at) == (51, 10, OPENS + 10)
    nearly = wr.visitor_status(now=OPENS + 9.9, opens_at=OPENS, admitted_at=OPENS + 10, rate=5, token_ttl=60)
    assert (nearly.position, nearly.wait_seconds) == (1, 1)


def test_admitted_until_the_token_expires_then_expired():
    admitted = wr.visitor_status(now=OPENS + 10, opens_at=OPENS, admitted_at=OPENS + 9.2, rate=5, token_ttl=60)
    assert admitted.state is wr.VisitorState.ADMITTED
    assert (admitted.position, admitted.expires_at) == (0, int(OPENS) + 10 + 60)
    expired = wr.visitor_status(now=OPENS + 70, opens_at=OPENS, admitted_at=OPENS + 9.2, rate=5, token_ttl=60)
    assert (expired.state, expired.position, expired.expires_at) == (wr.VisitorState.EXPIRED, None, int(OPENS) + 70)


# --- tokens -------------------------------------------------------------------------------------


def _token(**overrides) -> str:
    fields = {"key": KEY, "opening_id": 7, "account_id": 42, "expires_at": 2_000} | overrides
    return wr.token_sign(**fields)


def test_a_signed_token_is_accepted_until_it_expires():
    token = _token()
    assert token.startswith("r1.7.42.2000.")
    claims = wr.token_verify(key=KEY, token=token, opening_id=7, account_id=42, now=1999.9)
    assert claims == wr.TokenClaims(7, 42, 2000)
    with pytest.raises(wr.TokenExpired):
        wr.token_verify(key=KEY, token=token, opening_id=7, account_id=42, now=2000)


def test_the_key_is_derived_from_the_secret():
    assert wr.token_key("server-secret") == KEY
    assert wr.token_key("other") != KEY
    assert len(KEY) == 32


@pytest.mark.parametrize("token", [None, ""])
def test_missing_token(token):
    with pytest.raises(wr.TokenMissing) as caught:
        wr.token_verify(key=KEY, token=token, opening_id=7, account_id=42, now=0)
    assert caught.value.kind == "forbidden"


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "r1.7.42.2000",
        "r0.7.42.2000.sig",
        "r1.7.x.2000.sig",
        "r1.7.42.２０００.sig",
        "r1.7.42.-5.sig",
        _token().replace("r1.7.42.2000", "r1.7.42.9999"),  # a longer expiry with the old signature
        _token().replace("r1.7.42.", "r1.7.43."),  # another account with the old signature
        _token(key=wr.token_key("guessed")),
        _token()[:-2],
    ],
)
def test_malformed_or_forged_tokens_are_refused(token):
    with pytest.raises(wr.TokenRefused) as caught:
        wr.token_verify(key=KEY, token=token, opening_id=7, account_id=42, now=0)
    assert caught.value.code == "rush_token_invalid"
    assert isinstance(caught.value, Forbidden)


def test_a_genuine_token_for_another_account_or_opening_is_refused():
    with pytest.raises(wr.TokenNotYours):
        wr.token_verify(key=KEY, token=_token(account_id=43), opening_id=7, account_id=42, now=0)
    with pytest.raises(wr.TokenNotYours):
        wr.token_verify(key=KEY, token=_token(opening_id=8), opening_id=7, account_id=42, now=0)


@pytest.mark.parametrize(
    ("wait", "expected"),
    [(0, 2), (7, 2), (8, 2), (12, 3), (100, 25), (239, 59), (240, 60), (3600, 60)],
)
def test_a_visitor_asks_again_after_a_quarter_of_the_wait_between_2_and_60_seconds(wait, expected):
    assert wr.poll_interval(wait_seconds=wait) == expected
