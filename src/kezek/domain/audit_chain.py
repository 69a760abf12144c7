"""The audit hash chain: each event's hash covers its content and the hash of the event before it.

Verification walks events in order and names the first that breaks the chain: an edited event (its
hash no longer matches its content), a deleted one (a gap in ``seq`` or a broken link), an inserted
one (a repeated ``seq`` or a broken link).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "seq", "occurred_at", "actor_id", "actor_label", "action", "object_type", "object_id", "before", "after",
    "request_id", "prev_hash",
)


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces, the same bytes on every machine."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(event: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of an event's hashed fields (the chain rule)."""
    payload = {name: event.get(name) for name in HASHED_FIELDS}
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    problem: str  # edited | deleted | inserted | broken_link
    detail: str


@dataclass(frozen=True)
class ChainReport:
    events: int
    head_hash: str
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def verify_chain(events: Iterable[Mapping[str, Any]]) -> ChainReport:
    """Walk events in ``seq`` order and report the first one that breaks the chain."""
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0
    for event in events:
        count += 1
        seq = int(event["seq"])
        if seq < expected_seq:
            return ChainReport(count, prev_hash, ChainBreak(seq, "inserted", f"seq {seq} appears again"))
        if seq > expected_seq:
            return ChainReport(count, prev_hash, ChainBreak(expected_seq, "deleted", f"seq {expected_seq} to {seq - 1} missing"))
        if event_hash(event) != event["hash"]:
            return ChainReport(count, prev_hash, ChainBreak(seq, "edited", "content does not match its hash"))
        if event["prev_hash"] != prev_hash:
            return ChainReport(count, prev_hash, ChainBreak(seq, "broken_link", "does not link to the event before it"))
        prev_hash, expected_seq = event["hash"], seq + 1
    return ChainReport(count, prev_hash, None)
