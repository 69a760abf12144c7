"""The rush: joining the waiting room, reading one's turn, and taking a place from a pool atomically.

``pool_claim`` is the one claim mechanism of every opening (club vouchers, open-to-all kindergarten places):
the caller passes ``on_claim``, which creates what the place stands for in the same transaction.
Call it outside any transaction: its own transaction sets short lock and statement timeouts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from kezek.audit.services import audit_record
from kezek.core.ratelimit import rate_hit
from kezek.domain import waiting_room as rules
from kezek.domain.errors import RateLimited
from kezek.rush import errors
from kezek.rush.backends import backend
from kezek.rush.models import ClaimInFlight, Opening, Pool, PoolClaim

KEY_MAX_LENGTH = 100
ClaimHook = Callable[[PoolClaim], dict[str, Any] | None]


@dataclass(frozen=True)
class RoomStatus:
    """An account's view of the waiting room: ``visitor`` is None until it joins; ``token`` once admitted."""

    opening: Opening
    visitor: rules.VisitorStatus | None
    in_room: int
    token: str = ""

    @property
    def state(self) -> str:
        return self.visitor.state.value if self.visitor else "not_joined"


@dataclass(frozen=True)
class ClaimOutcome:
    """The claim, the hook's result, and whether this call made it (False: a replay of the same key)."""

    claim: PoolClaim
    result: dict[str, Any]
    created: bool


def _now(now: float | None) -> float:
    # Whole microseconds: the Redis backend stores times with 6 decimals, and a time read back must not
    # come out later than the moment it was taken (an arrival admitted "now" would look queued).
    return round(time.time() if now is None else now, 6)


def _token_key() -> bytes:
    return rules.token_key(settings.SECRET_KEY)


# --- rate limits -------------------------------------------------------------------------------------------


def rush_rate_check(*, account_id: int | None, ip: str, now: float | None = None) -> None:
    """Refuse scripts (rule: per account and per IP, requests a minute): raises RateLimited with Retry-After."""
    limits = [(f"rush:ip:{ip}", settings.KEZEK_RUSH_REQUESTS_PER_IP_PER_MINUTE)]
    if account_id is not None:
        limits.insert(0, (f"rush:account:{account_id}", settings.KEZEK_RUSH_REQUESTS_PER_ACCOUNT_PER_MINUTE))
    for key, limit in limits:
        hit = rate_hit(key=key, limit=limit, window_seconds=60, now=now)
        if not hit.allowed:
            raise RateLimited(retry_after=hit.retry_after)


# --- the waiting room ----------------------------------------------------------------------------------------


def waiting_room_status(*, opening: Opening, account: Any, now: float | None = None) -> RoomStatus:
    """Where the account stands (rule: rank r admitted at opens_at + (r-1)/rate, with a signed token for token_ttl).

    The first read at or after the opening seals the shuffled set (an idempotent write, the same in every process).
    """
    now = _now(now)
    room = backend()
    place = room.place(opening, account.pk, now)
    in_room = room.size(opening)
    if place is None:
        return RoomStatus(opening, None, in_room)
    visitor = rules.visitor_status(
        now=now, opens_at=opening.opens_at.timestamp(), admitted_at=place.admitted_at,
        rate=opening.admission_rate, token_ttl=opening.token_ttl,
    )
    token = ""
    if visitor.state is rules.VisitorState.ADMITTED:
        token = rules.token_sign(key=_token_key(), opening_id=opening.pk, account_id=account.pk, expires_at=visitor.expires_at)
    return RoomStatus(opening, visitor, in_room, token)


def waiting_room_join(*, opening: Opening, account: Any, now: float | None = None) -> RoomStatus:
    """Enter the waiting room (rules: shuffled before the opening, in arrival order after it; joining again keeps the place)."""
    now = _now(now)
    backend().join(opening, account.pk, now)
    return waiting_room_status(opening=opening, account=account, now=now)


def waiting_room_token_check(*, opening: Opening, account: Any, token: str | None, now: float | None = None) -> rules.TokenClaims:
    """Accept an admission token only for this opening and account, before it expires (rule: HMAC-signed pass)."""
    return rules.token_verify(key=_token_key(), token=token, opening_id=opening.pk, account_id=account.pk, now=_now(now))


# --- claims --------------------------------------------------------------------------------------------------


def _check_request(*, holder: str, idempotency_key: str) -> None:
    for field, value in (("Idempotency-Key", idempotency_key), ("holder", holder)):
        if not isinstance(value, str) or not value.strip() or len(value) > KEY_MAX_LENGTH:
            raise errors.InvalidClaimRequest(field=field)


def _replay(*, account: Any, idempotency_key: str, pool: Pool, holder: str) -> ClaimOutcome | None:
    claim = PoolClaim.objects.filter(account_id=account.pk, idempotency_key=idempotency_key).first()
    if claim is None:
        return None
    if claim.pool_id != pool.pk or claim.holder != holder:
        raise errors.IdempotencyKeyReused()
    return ClaimOutcome(claim, claim.result, False)


def _limit_waits() -> None:
    # A claim that cannot get its locks quickly answers "busy, retry" rather than holding a worker.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true), set_config('statement_timeout', %s, true)",
                [f"{settings.KEZEK_RUSH_LOCK_TIMEOUT_MS}ms", f"{settings.KEZEK_RUSH_STATEMENT_TIMEOUT_MS}ms"],
            )


def _is_overload(exc: OperationalError) -> bool:
    # PostgreSQL: lock_not_available (55P03), query_canceled (57014), deadlock_detected (40P01);
    # SQLite: the write lock not granted within its busy timeout.
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    return sqlstate in {"55P03", "57014", "40P01"} or "database is locked" in str(exc)


def _busy() -> errors.Saturated:
    return errors.Saturated(retry_after=settings.KEZEK_RUSH_RETRY_AFTER_SECONDS)


def claim_audit_fields(claim: PoolClaim) -> dict[str, Any]:
    """What the audit event of a claim records about it: for a hook that writes the claim's one audit event."""
    return {"pool_claim_id": claim.pk, "opening": claim.opening_id, "pool": claim.pool.key, "holder": claim.holder,
            "result": claim.result}


def _take_place(*, pool: Pool, account: Any, holder: str, idempotency_key: str, on_claim: ClaimHook | None,
                request_id: str, hook_audits: bool) -> ClaimOutcome:
    with transaction.atomic():
        _limit_waits()
        claim = PoolClaim.objects.create(
            opening_id=pool.opening_id, pool=pool, holder=holder, account=account, idempotency_key=idempotency_key
        )
        result = (on_claim(claim) if on_claim else None) or {}
        if result:
            claim.result = result
            claim.save(update_fields=["result"])
        # The audit head lock is taken before the pool row in every rush transaction (a hook that audits
        # takes it earlier still), so two claims never wait for each other's lock in opposite orders.
        # A hook that audits records the claim in its own event: one append to the chain, not two.
        if not hook_audits:
            audit_record(
                actor=account, action="rush.pool.claim", obj=claim, request_id=request_id,
                after={"opening": pool.opening_id, "pool": pool.key, "holder": holder, "result": claim.result},
            )
        # The guard against overselling: one conditional UPDATE; on PostgreSQL concurrent claims queue on the
        # row and each re-checks ``taken < capacity`` after the one before commits.
        if not Pool.objects.filter(pk=pool.pk, taken__lt=F("capacity")).update(taken=F("taken") + 1):
            raise errors.SoldOut()
        return ClaimOutcome(claim, claim.result, True)


def pool_claim(
    *,
    pool: Pool,
    account: Any,
    holder: str,
    idempotency_key: str,
    token: str | None,
    on_claim: ClaimHook | None = None,
    request_id: str = "",
    now: float | None = None,
    hook_audits: bool = False,
) -> ClaimOutcome:
    """Take one place of ``pool`` for ``holder`` (rules: admission token, idempotent key, no oversell, one place per holder).

    ``on_claim(claim)`` runs in the same transaction and may return a JSON-safe dict, kept as the claim's result
    and answered again to every replay of the same (account, idempotency key); its exceptions undo everything.
    With ``hook_audits`` the hook's own audit event records the claim (``claim_audit_fields``) and no
    ``rush.pool.claim`` event is written: every audit append takes the chain's one head lock.
    """
    _check_request(holder=holder, idempotency_key=idempotency_key)
    replayed = _replay(account=account, idempotency_key=idempotency_key, pool=pool, holder=holder)
    if replayed is not None:
        return replayed
    opening = pool.opening
    now = _now(now)
    rules.token_verify(key=_token_key(), token=token, opening_id=opening.pk, account_id=account.pk, now=now)
    if not Pool.objects.filter(pk=pool.pk, taken__lt=F("capacity")).exists():
        raise errors.SoldOut()  # the common answer after a sell-out, without a transaction or a slot
    with backend().claim_slot(opening, now) as admitted:
        if not admitted:
            raise _busy()
        try:
            return _take_place(
                pool=pool, account=account, holder=holder, idempotency_key=idempotency_key,
                on_claim=on_claim, request_id=request_id, hook_audits=hook_audits and on_claim is not None,
            )
        except IntegrityError:
            # A concurrent request won a unique constraint: the same key (answer its result) or the same holder.
            replayed = _replay(account=account, idempotency_key=idempotency_key, pool=pool, holder=holder)
            if replayed is not None:
                return replayed
            if PoolClaim.objects.filter(opening=opening, holder=holder, released_at__isnull=True).exists():
                raise errors.HolderHasClaim() from None
            raise
        except OperationalError as exc:
            if _is_overload(exc):
                raise _busy() from None
            raise


def pool_release(*, claim: PoolClaim, actor: Any | None, reason: str, request_id: str = "") -> PoolClaim:
    """Give a claimed place back to its pool (rule: a released voucher or place returns to the opening)."""
    with transaction.atomic():
        locked = PoolClaim.objects.select_for_update().select_related("pool").get(pk=claim.pk)
        if locked.released_at is not None:
            raise errors.ClaimAlreadyReleased()
        locked.released_at = timezone.now()
        locked.release_reason = (reason or "")[:500]
        locked.save(update_fields=["released_at", "release_reason"])
        audit_record(
            actor=actor, action="rush.pool.release", obj=locked, request_id=request_id,
            before={"released": False}, after={"released": True, "reason": locked.release_reason, "pool": locked.pool.key},
        )
        Pool.objects.filter(pk=locked.pool_id, taken__gt=0).update(taken=F("taken") - 1)
        return locked


def claims_in_flight_prune(*, older_than_seconds: int = 3600) -> int:
    """Delete the in-flight marks of claims whose process died (they stopped counting after a minute)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    deleted, _ = ClaimInFlight.objects.filter(started_at__lt=cutoff).delete()
    return deleted


# --- openings ------------------------------------------------------------------------------------------------


def opening_create(
    *,
    actor: Any | None,
    slug: str,
    title: str,
    opens_at: datetime,
    pools: dict[str, int],
    claim_url: str = "",
    admission_rate: float | None = None,
    token_ttl: int | None = None,
    max_claims_in_flight: int | None = None,
    request_id: str = "",
) -> Opening:
    """Create an opening with its pools of places (rule: published capacities, audited with the opening)."""
    fields: dict[str, Any] = {"slug": slug, "title": title, "opens_at": opens_at, "claim_url": claim_url}
    for name, value in (("admission_rate", admission_rate), ("token_ttl", token_ttl),
                        ("max_claims_in_flight", max_claims_in_flight)):
        if value is not None:
            fields[name] = value
    with transaction.atomic():
        opening = Opening.objects.create(**fields)
        Pool.objects.bulk_create([Pool(opening=opening, key=key, capacity=capacity) for key, capacity in pools.items()])
        audit_record(
            actor=actor, action="rush.opening.create", obj=opening, request_id=request_id,
            after={"slug": slug, "opens_at": opens_at, "pools": pools, "admission_rate": opening.admission_rate},
        )
    return opening
