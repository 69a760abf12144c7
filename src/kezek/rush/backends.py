"""Where the waiting room keeps its state: Redis when REDIS_URL is set, else the database. Same behaviour.

Both backends make one decision atomically: a visitor who joins is shuffled (before the opening) or
queued in arrival order (after it). The first join or status read at or after the opening *seals* the
shuffled set: from then on every join counts as a later arrival, even one from a process whose clock is a
little behind, so the ranks handed out never move. Nothing is kept in process memory.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from kezek.core.redis import redis_client, redis_enabled
from kezek.domain import waiting_room as rules
from kezek.rush.errors import Saturated
from kezek.rush.models import ClaimInFlight, Opening, QueueEntry, WaitingRoomState

# Redis keys live a week past the opening; a claim still "in flight" after a minute is counted as gone.
KEEP_SECONDS = 7 * 24 * 3600
IN_FLIGHT_STALE_SECONDS = 60


@dataclass(frozen=True)
class Place:
    """An account's place: ``rank`` and ``admitted_at`` (Unix time) once the shuffled set is sealed."""

    rank: int | None
    admitted_at: float | None


class Backend(ABC):
    @abstractmethod
    def join(self, opening: Opening, account_id: int, now: float) -> bool:
        """Put the account in the room (True) or leave its place as it is (False)."""

    @abstractmethod
    def place(self, opening: Opening, account_id: int, now: float) -> Place | None:
        """The account's place (None if it has not joined); seals the room at or after the opening."""

    @abstractmethod
    def size(self, opening: Opening) -> int:
        """How many accounts are in the room."""

    @abstractmethod
    def claim_slot(self, opening: Opening, now: float) -> AbstractContextManager[bool]:
        """Count one claim in flight while the block runs; yields False when the opening is saturated."""


def _opens(opening: Opening) -> float:
    return opening.opens_at.timestamp()


def _keep_seconds(opening: Opening, now: float) -> int:
    return int(max(0.0, _opens(opening) - now)) + KEEP_SECONDS


# --- Redis ---------------------------------------------------------------------------------------------

# The seal and the schedule of later arrivals repeat kezek.domain.waiting_room in Lua so that each join is
# one atomic step in Redis: rank = n_pre + arrival number, admission = max(now, last + 1 / rate).
_LUA_SEAL = """
local function seal(pre, st, opens, rate)
  if redis.call('HGET', st, 'sealed') then return end
  local n = redis.call('ZCARD', pre)
  redis.call('HSET', st, 'sealed', '1', 'n_pre', n, 'arrivals', 0,
             'last', string.format('%.6f', opens + (n - 1) / rate))
end
"""

_LUA_JOIN = _LUA_SEAL + """
local account, now, opens, rate = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if redis.call('ZSCORE', KEYS[1], account) or redis.call('HEXISTS', KEYS[2], account) == 1 then return 0 end
if not redis.call('HGET', KEYS[3], 'sealed') and now < opens then
  redis.call('ZADD', KEYS[1], ARGV[5], account)
else
  seal(KEYS[1], KEYS[3], opens, rate)
  local arrivals = redis.call('HINCRBY', KEYS[3], 'arrivals', 1)
  local n_pre = tonumber(redis.call('HGET', KEYS[3], 'n_pre'))
  local admitted = math.max(now, tonumber(redis.call('HGET', KEYS[3], 'last')) + 1 / rate)
  local stamp = string.format('%.6f', admitted)
  redis.call('HSET', KEYS[3], 'last', stamp)
  redis.call('HSET', KEYS[2], account, (n_pre + arrivals) .. ':' .. stamp)
end
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[6]) end
return 1
"""

_LUA_PLACE = _LUA_SEAL + """
local account, now, opens, rate = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local rank = redis.call('ZRANK', KEYS[1], account)
local late = false
if not rank then
  late = redis.call('HGET', KEYS[2], account)
  if not late then return {0} end
end
if now < opens then return {1} end
seal(KEYS[1], KEYS[3], opens, rate)
if rank then return {2, rank + 1} end
return {3, late}
"""

_LUA_SLOT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[4]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], 3600)
return 1
"""


@contextmanager
def _redis_unavailable_is_busy():
    # Redis down or too slow: the visitor is asked to retry in a moment, never shown a server error.
    try:
        yield
    except RedisError:
        raise Saturated(retry_after=settings.KEZEK_RUSH_RETRY_AFTER_SECONDS) from None


class RedisBackend(Backend):
    def _keys(self, opening: Opening) -> list[str]:
        base = f"{settings.KEZEK_RUSH_REDIS_PREFIX}:{opening.pk}"
        return [f"{base}:pre", f"{base}:late", f"{base}:state"]

    def join(self, opening: Opening, account_id: int, now: float) -> bool:
        script = redis_client().register_script(_LUA_JOIN)
        args = [account_id, repr(now), repr(_opens(opening)), repr(opening.admission_rate), rules.shuffle_key(),
                _keep_seconds(opening, now)]
        with _redis_unavailable_is_busy():
            return bool(script(keys=self._keys(opening), args=args))

    def place(self, opening: Opening, account_id: int, now: float) -> Place | None:
        script = redis_client().register_script(_LUA_PLACE)
        args = [account_id, repr(now), repr(_opens(opening)), repr(opening.admission_rate)]
        with _redis_unavailable_is_busy():
            found = script(keys=self._keys(opening), args=args)
        kind = int(found[0])
        if kind == 0:
            return None
        if kind == 1:
            return Place(None, None)
        if kind == 2:
            rank = int(found[1])
            return Place(rank, rules.scheduled_admission(opens_at=_opens(opening), rank=rank, rate=opening.admission_rate))
        rank_text, admitted_text = (found[1].decode() if isinstance(found[1], bytes) else found[1]).split(":")
        return Place(int(rank_text), float(admitted_text))

    def size(self, opening: Opening) -> int:
        pre, late, _ = self._keys(opening)
        pipe = redis_client().pipeline(transaction=False)
        pipe.zcard(pre)
        pipe.hlen(late)
        with _redis_unavailable_is_busy():
            return sum(int(n) for n in pipe.execute())

    @contextmanager
    def claim_slot(self, opening: Opening, now: float):
        key = f"{settings.KEZEK_RUSH_REDIS_PREFIX}:{opening.pk}:inflight"
        member = uuid.uuid4().hex
        script = redis_client().register_script(_LUA_SLOT)
        with _redis_unavailable_is_busy():
            got = bool(script(keys=[key], args=[repr(now), member, opening.max_claims_in_flight, IN_FLIGHT_STALE_SECONDS]))
        try:
            yield got
        finally:
            if got:
                with suppress(RedisError):  # the mark expires by itself after a minute
                    redis_client().zrem(key, member)


# --- the database ----------------------------------------------------------------------------------------


class DatabaseBackend(Backend):
    def _state_row(self, opening: Opening) -> None:
        # Created on first use; a concurrent creator makes get_or_create re-read the winner's row.
        WaitingRoomState.objects.get_or_create(opening=opening)

    def _lock_shared(self, opening: Opening) -> bool:
        """Whether the room is sealed, holding a lock that lets other joins in but keeps the sealer out."""
        table = WaitingRoomState._meta.db_table
        share = " FOR SHARE" if connection.vendor == "postgresql" else ""  # SQLite: one writer at a time anyway
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT sealed FROM {table} WHERE opening_id = %s{share}", [opening.pk])
            return bool(cursor.fetchone()[0])

    def _seal(self, opening: Opening, state: WaitingRoomState) -> None:
        # Rank every shuffled arrival in one statement: by shuffle key, then id for the (unlikely) equal keys.
        table = QueueEntry._meta.db_table
        rate = float(opening.admission_rate)
        with connection.cursor() as cursor:
            cursor.execute(
                f'UPDATE {table} SET "rank" = ranked.rn'
                ", admitted_at = %s + (ranked.rn - 1) * 1.0 / %s "
                f"FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY order_key, id) AS rn FROM {table} "
                f"WHERE opening_id = %s) AS ranked WHERE {table}.id = ranked.id",
                [_opens(opening), rate, opening.pk],
            )
            size = cursor.rowcount
        state.sealed = True
        state.prequeue_size = size
        state.last_admission = rules.last_prequeue_admission(opens_at=_opens(opening), prequeue_size=size, rate=rate)
        state.save()

    def _locked_sealed_state(self, opening: Opening) -> WaitingRoomState:
        state = WaitingRoomState.objects.select_for_update().get(opening=opening)
        if not state.sealed:
            self._seal(opening, state)
        return state

    def join(self, opening: Opening, account_id: int, now: float) -> bool:
        entries = QueueEntry.objects.filter(opening=opening, account_id=account_id)
        if entries.exists():
            return False
        self._state_row(opening)
        try:
            with transaction.atomic():
                if now < _opens(opening) and not self._lock_shared(opening):
                    QueueEntry.objects.create(opening=opening, account_id=account_id, order_key=rules.shuffle_key())
                    return True
                state = self._locked_sealed_state(opening)
                if entries.exists():
                    return False
                state.arrivals += 1
                admitted = rules.late_admission(now=now, previous=state.last_admission, rate=opening.admission_rate)
                state.last_admission = admitted
                state.save(update_fields=["arrivals", "last_admission"])
                QueueEntry.objects.create(
                    opening=opening, account_id=account_id, order_key=rules.late_key(state.arrivals),
                    rank=state.prequeue_size + state.arrivals, admitted_at=admitted,
                )
                return True
        except IntegrityError:
            # The same account joined at the same moment from another tab: its place stands.
            return False

    def place(self, opening: Opening, account_id: int, now: float) -> Place | None:
        entries = QueueEntry.objects.filter(opening=opening, account_id=account_id)
        entry = entries.values("rank", "admitted_at").first()
        if entry is None:
            return None
        if now < _opens(opening):
            return Place(None, None)
        if entry["rank"] is None:
            self._state_row(opening)
            with transaction.atomic():
                self._locked_sealed_state(opening)
            entry = entries.values("rank", "admitted_at").get()
        return Place(entry["rank"], entry["admitted_at"])

    def size(self, opening: Opening) -> int:
        return QueueEntry.objects.filter(opening=opening).count()

    @contextmanager
    def claim_slot(self, opening: Opening, now: float):
        # Insert first, then count: concurrent claimers each see the others, so the limit is never overshot.
        row = ClaimInFlight.objects.create(opening=opening)
        since = timezone.now() - timedelta(seconds=IN_FLIGHT_STALE_SECONDS)
        got = ClaimInFlight.objects.filter(opening=opening, started_at__gt=since).count() <= opening.max_claims_in_flight
        try:
            yield got
        finally:
            ClaimInFlight.objects.filter(pk=row.pk).delete()


def backend() -> Backend:
    """The backend for this request: Redis when REDIS_URL is set, else the database."""
    return RedisBackend() if redis_enabled() else DatabaseBackend()
