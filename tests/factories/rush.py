"""Openings and pools for tests, with times relative to a fixed opening moment."""

from __future__ import annotations

import datetime as dt
import itertools
import secrets

from kezek.rush.models import Opening, Pool

OPENS = dt.datetime(2030, 9, 1, 4, 0, tzinfo=dt.UTC)  # 10:00 in Astana
OPENS_TS = OPENS.timestamp()

_numbers = itertools.count(secrets.randbelow(100_000))


def make_opening(
    *, opens_at: dt.datetime = OPENS, rate: float = 10.0, token_ttl: int = 60, max_in_flight: int = 50,
    claim_url: str = "/clubs/claim/", pools: dict[str, int] | None = None,
) -> Opening:
    """An opening (slug unique in the run) with the given pools ({"main": 5} if none)."""
    opening = Opening.objects.create(
        slug=f"opening-{next(_numbers)}", title="Club vouchers: opening", opens_at=opens_at,
        admission_rate=rate, token_ttl=token_ttl, max_claims_in_flight=max_in_flight, claim_url=claim_url,
    )
    for key, capacity in (pools or {"main": 5}).items():
        Pool.objects.create(opening=opening, key=key, capacity=capacity)
    return opening


def admission_token(opening: Opening, account, *, expires_at: float) -> str:
    """A genuine waiting-room pass for ``account``, as the room signs it once the account is admitted."""
    from django.conf import settings

    from kezek.domain import waiting_room as rules

    return rules.token_sign(
        key=rules.token_key(settings.SECRET_KEY), opening_id=opening.pk, account_id=account.pk, expires_at=int(expires_at)
    )
