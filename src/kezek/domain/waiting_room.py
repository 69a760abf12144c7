"""The waiting room of a rush: a fair admission order, the admission schedule and signed admission tokens.

Pure rules: the storage (Redis or the database), the random source, the server key and the clock are
the caller's. Times are Unix seconds (floats).

Order: every visitor who arrives before the opening gets a random shuffle key below ``LATE_BASE``; at the
opening they are ranked by that key, so arriving a millisecond earlier gives no advantage. Visitors who
arrive later are ranked after all of them, in arrival order. Rank r is admitted at
``opens_at + (r - 1) / rate``; a later arrival is admitted one slot after the previous admission, and never
before it arrives (``late_admission``), so a burst after a quiet spell is still admitted at the rate.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from kezek.domain.errors import Forbidden, gettext_noop

# Shuffle keys are drawn below 2**52 so that they, and LATE_BASE + an arrival number, are exact in the
# double-precision scores of a Redis sorted set.
LATE_BASE = 2**52
TOKEN_VERSION = "r1"
_TOKEN_KEY_LABEL = b"kezek.rush.admission-token.v1"


class VisitorState(StrEnum):
    WAITING_FOR_OPENING = "waiting_for_opening"
    QUEUED = "queued"
    ADMITTED = "admitted"
    EXPIRED = "expired"


@dataclass(frozen=True)
class VisitorStatus:
    """Where a visitor stands: ``position`` 1 is next; ``wait_seconds`` until the opening or the admission."""

    state: VisitorState
    position: int | None
    wait_seconds: int
    admitted_at: float | None
    expires_at: int | None


# --- order and schedule ------------------------------------------------------------------------------


def shuffle_key(randbelow: Callable[[int], int] = secrets.randbelow) -> int:
    """A random place among the visitors who arrive before the opening (rule: arriving earlier gives no advantage)."""
    return randbelow(LATE_BASE)


def late_key(arrival_number: int) -> int:
    """The order key of the n-th visitor to arrive after the opening: behind every shuffled one, in arrival order."""
    return LATE_BASE + arrival_number


def scheduled_admission(*, opens_at: float, rank: int, rate: float) -> float:
    """When rank ``rank`` (1 is first) of the shuffled arrivals is admitted (rule: ``rate`` admissions a second)."""
    return opens_at + (rank - 1) / rate


def last_prequeue_admission(*, opens_at: float, prequeue_size: int, rate: float) -> float:
    """When the last shuffled arrival is admitted; with none, one slot before the opening."""
    return scheduled_admission(opens_at=opens_at, rank=prequeue_size, rate=rate)


def late_admission(*, now: float, previous: float, rate: float) -> float:
    """When a visitor arriving after the opening is admitted: one slot after the previous admission, not before arriving."""
    return max(now, previous + 1 / rate)


def visitor_status(*, now: float, opens_at: float, admitted_at: float | None, rate: float, token_ttl: int) -> VisitorStatus:
    """A visitor's state, position and wait (rule: admitted at ``admitted_at`` for ``token_ttl`` seconds).

    Before the opening the order is not drawn yet, so there is no position; ``admitted_at`` is then ignored.
    """
    if now < opens_at or admitted_at is None:
        return VisitorStatus(VisitorState.WAITING_FOR_OPENING, None, max(0, math.ceil(opens_at - now)), None, None)
    if now < admitted_at:
        position = math.floor((admitted_at - now) * rate) + 1
        return VisitorStatus(VisitorState.QUEUED, position, math.ceil(admitted_at - now), admitted_at, None)
    expires_at = token_expiry(admitted_at=admitted_at, token_ttl=token_ttl)
    state = VisitorState.ADMITTED if now < expires_at else VisitorState.EXPIRED
    return VisitorStatus(state, 0 if state is VisitorState.ADMITTED else None, 0, admitted_at, expires_at)


POLL_MIN_SECONDS = 2
POLL_MAX_SECONDS = 60


def poll_interval(*, wait_seconds: int) -> int:
    """How soon a waiting visitor asks again (rule: after a quarter of the wait, every 2 s near the turn, at most 60 s).

    Status polls are most of a national opening's load, so a long wait is checked rarely; four checks before
    the turn keep a visitor on time, and a pass stays valid for minutes after the turn.
    """
    return max(POLL_MIN_SECONDS, min(POLL_MAX_SECONDS, wait_seconds // 4))


def token_expiry(*, admitted_at: float, token_ttl: int) -> int:
    """The whole second at which an admission token stops being accepted."""
    return math.ceil(admitted_at) + token_ttl


# --- tokens ------------------------------------------------------------------------------------------


class TokenRefused(Forbidden):
    code = "rush_token_invalid"
    message = gettext_noop("Your pass from the waiting room is not valid.")
    hint = gettext_noop("Open the waiting room page again and continue from there.")


class TokenMissing(TokenRefused):
    code = "rush_token_missing"
    message = gettext_noop("You need a pass from the waiting room to do this.")
    hint = gettext_noop("Join the waiting room; when your turn comes the page gives you a link to continue.")


class TokenExpired(TokenRefused):
    code = "rush_token_expired"
    message = gettext_noop("Your pass from the waiting room has expired.")
    hint = gettext_noop("Open the waiting room page to see whether you can still continue.")


class TokenNotYours(TokenRefused):
    code = "rush_token_not_yours"
    message = gettext_noop("This pass from the waiting room was given to another account or for another opening.")
    hint = gettext_noop("Sign in with the account that waited in the waiting room, or join it yourself.")


@dataclass(frozen=True)
class TokenClaims:
    opening_id: int
    account_id: int
    expires_at: int


def token_key(secret: str) -> bytes:
    """The signing key of admission tokens, derived from the server secret so it serves no other purpose."""
    return hmac.new(secret.encode(), _TOKEN_KEY_LABEL, hashlib.sha256).digest()


def _signature(key: bytes, payload: str) -> str:
    digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_sign(*, key: bytes, opening_id: int, account_id: int, expires_at: int) -> str:
    """``r1.<opening>.<account>.<expiry>.<HMAC-SHA256>``: admission to one opening, for one account, until a time."""
    payload = f"{TOKEN_VERSION}.{opening_id}.{account_id}.{expires_at}"
    return f"{payload}.{_signature(key, payload)}"


def _parse(token: str) -> TokenClaims | None:
    parts = token.split(".")
    if len(parts) != 5 or parts[0] != TOKEN_VERSION or not all(p.isascii() and p.isdigit() for p in parts[1:4]):
        return None
    return TokenClaims(int(parts[1]), int(parts[2]), int(parts[3]))


def token_verify(*, key: bytes, token: str | None, opening_id: int, account_id: int, now: float) -> TokenClaims:
    """Accept a token only if it is well formed, signed with ``key``, for this opening and account, and unexpired."""
    if not token:
        raise TokenMissing()
    claims = _parse(token)
    if claims is None:
        raise TokenRefused()
    expected = token_sign(key=key, opening_id=claims.opening_id, account_id=claims.account_id, expires_at=claims.expires_at)
    if not hmac.compare_digest(expected.encode(), token.encode()):
        raise TokenRefused()
    if claims.opening_id != opening_id or claims.account_id != account_id:
        raise TokenNotYours()
    if now >= claims.expires_at:
        raise TokenExpired()
    return claims
