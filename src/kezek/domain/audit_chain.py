"""The audit hash chain: each event's hash covers its content and the hash of the event before it.

Verification walks events in ``seq`` order and names the first event that breaks the chain:

- **edited**: its content no longer matches its hash (or, when its hash was recomputed, the next event
  still links to the original);
- **deleted**: a gap in ``seq``, later events renumbered down to hide a gap, or the chain ends before
  the head (the last appended event) says it should;
- **inserted**: an event that does not belong between its neighbours, events renumbered up to make
  room for it, or events beyond the head.

Published checkpoints (``seq`` and hash) let anyone who kept one check later that the chain still
extends it (``verify_checkpoints``), which catches a rewrite that re-hashed everything after an edit.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kezek.domain.errors import InvalidInput, gettext_noop

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "seq", "occurred_at", "actor_id", "actor_label", "action", "object_type", "object_id", "before", "after",
    "request_id", "prev_hash",
)
# How far a renumbered event is searched for, and how many recent hashes are remembered to recognise
# an event that links past inserted ones. Bounded so verification runs in constant memory.
MAX_SHIFT = 64
RECENT_HASHES = 4096

EDITED, DELETED, INSERTED, HEAD_MISSING = "edited", "deleted", "inserted", "head_missing"


def _normalise(value: Any) -> Any:
    # PostgreSQL's jsonb prints integral numbers without a fraction or exponent (1e20 comes back as an
    # integer) while SQLite keeps the text; hashing integral floats as exact decimal integers makes
    # both read back to the same bytes. Keys are sorted by canonical_json, so jsonb reordering is harmless.
    if isinstance(value, float) and value.is_integer():
        return int(Decimal(repr(value)))
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, no spaces and integral numbers as integers: the same bytes on every database."""
    return json.dumps(_normalise(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(event: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of an event's hashed fields (the chain rule)."""
    payload = {name: event.get(name) for name in HASHED_FIELDS}
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    problem: str  # edited | deleted | inserted | head_missing
    detail: str


@dataclass(frozen=True)
class ChainHead:
    """What the chain's head record says: the last appended event's ``seq`` and ``hash``."""

    seq: int
    hash: str


@dataclass(frozen=True)
class ChainReport:
    events: int
    head_hash: str
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def _original_seq(event: Mapping[str, Any]) -> int | None:
    """The seq at which an event's hash still matches, if it was renumbered by up to MAX_SHIFT."""
    seq = int(event["seq"])
    for shift in range(1, MAX_SHIFT + 1):
        for candidate in (seq - shift, seq + shift):
            if candidate >= 1 and event_hash({**event, "seq": candidate}) == event["hash"]:
                return candidate
    return None


class _Walk:
    """State of one verification walk: the expected next seq, the last good hash, recent hashes."""

    def __init__(self) -> None:
        self.expected = 1
        self.prev_hash = GENESIS_HASH
        self.count = 0
        self.recent: OrderedDict[str, int] = OrderedDict()

    def accept(self, event: Mapping[str, Any]) -> None:
        self.prev_hash, self.expected = event["hash"], int(event["seq"]) + 1
        self.recent[event["hash"]] = int(event["seq"])
        if len(self.recent) > RECENT_HASHES:
            self.recent.popitem(last=False)

    def check(self, event: Mapping[str, Any], following: Mapping[str, Any] | None) -> ChainBreak | None:
        seq = int(event["seq"])
        if seq < self.expected:
            return ChainBreak(seq, INSERTED, f"seq {seq} appears twice")
        if seq > self.expected:
            return ChainBreak(self.expected, DELETED, f"seq {self.expected} to {seq - 1} missing")
        if event_hash(event) == event["hash"]:
            return self._check_link(event)
        return self._explain_mismatch(event, following)

    def _check_link(self, event: Mapping[str, Any]) -> ChainBreak | None:
        seq = int(event["seq"])
        if event["prev_hash"] == self.prev_hash:
            return None
        if (linked := self.recent.get(event["prev_hash"])) is not None:
            return ChainBreak(linked + 1, INSERTED, f"seq {seq} links to seq {linked}; events in between were added")
        if seq == 1:
            return ChainBreak(1, EDITED, "the first event does not start from the genesis hash")
        return ChainBreak(seq - 1, EDITED, f"its hash was rewritten; seq {seq} still links to the original")

    def _explain_mismatch(self, event: Mapping[str, Any], following: Mapping[str, Any] | None) -> ChainBreak:
        seq = int(event["seq"])
        original = _original_seq(event)
        if original is not None and original < seq:
            return ChainBreak(original, INSERTED, f"the event first recorded as seq {original} now has seq {seq}")
        if original is not None:
            return ChainBreak(seq, DELETED, f"the event first recorded as seq {original} now has seq {seq}")
        if following is not None and (
            following["prev_hash"] == self.prev_hash or _original_seq(following) == seq
        ):
            return ChainBreak(seq, INSERTED, f"seq {seq + 1} links past it to seq {seq - 1}")
        return ChainBreak(seq, EDITED, "its content does not match its hash")


def _with_next(events: Iterable[Mapping[str, Any]]) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any] | None]]:
    iterator = iter(events)
    current = next(iterator, None)
    while current is not None:
        following = next(iterator, None)
        yield current, following
        current = following


def _check_head(walk: _Walk, head: ChainHead | None) -> ChainBreak | None:
    last = walk.expected - 1
    if head is None:
        return ChainBreak(last, HEAD_MISSING, "the head record is missing") if last else None
    if head.seq > last:
        return ChainBreak(last + 1, DELETED, f"the head says the chain ends at seq {head.seq}, it ends at seq {last}")
    if head.seq < last:
        return ChainBreak(head.seq + 1, INSERTED, f"the head says the chain ends at seq {head.seq}")
    if head.hash != walk.prev_hash:
        return ChainBreak(last, EDITED, "its hash differs from the one the head recorded")
    return None


def verify_chain(events: Iterable[Mapping[str, Any]], *, head: ChainHead | None = None, check_head: bool = False) -> ChainReport:
    """Walk events in ``seq`` order and report the first one that breaks the chain.

    With ``check_head`` the walk must also end exactly where ``head`` says (``None``: the head is missing).
    """
    walk = _Walk()
    for event, following in _with_next(events):
        walk.count += 1
        if head is not None and int(event["seq"]) > head.seq:
            return ChainReport(walk.count, walk.prev_hash, ChainBreak(head.seq + 1, INSERTED, f"beyond the head at seq {head.seq}"))
        if problem := walk.check(event, following):
            return ChainReport(walk.count, walk.prev_hash, problem)
        walk.accept(event)
    problem = _check_head(walk, head) if check_head else None
    return ChainReport(walk.count, walk.prev_hash, problem)


# --- checkpoints ----------------------------------------------------------------------------------
# A checkpoint is a published (seq, hash) pair. Whoever kept one can later prove the chain still extends
# it: the event at ``seq`` must still carry ``hash`` and the chain up to it must verify. Re-hashing the
# whole chain after an edit satisfies plain verification, never an old checkpoint.

CHECKPOINT_MISSING, CHECKPOINT_DIFFERS, CHECKPOINT_BROKEN_BEFORE = "missing", "hash_differs", "chain_broken"
HASH_HEX_LENGTH = 64


class InvalidCheckpointFile(InvalidInput):
    code = "invalid_checkpoint_file"
    message = gettext_noop("The checkpoint file could not be read: %(reason)s")
    hint = gettext_noop('Use the file as downloaded: a JSON list of {"seq", "hash", "created_at"} or the CSV with the same columns.')


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str


@dataclass(frozen=True)
class CheckpointFailure:
    """A published checkpoint the chain no longer extends; ``found`` is the hash now at its seq, if any."""

    checkpoint: Checkpoint
    problem: str  # missing | hash_differs | chain_broken
    found: str | None


@dataclass(frozen=True)
class CheckpointReport:
    chain: ChainReport
    checked: int
    failures: tuple[CheckpointFailure, ...]

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.failures


def verify_checkpoints(
    events: Iterable[Mapping[str, Any]], checkpoints: Iterable[Checkpoint], *, head: ChainHead | None = None,
    check_head: bool = False,
) -> CheckpointReport:
    """Verify the chain and that it still extends every published checkpoint (the checkpoint rule).

    Events stream through once; only the hashes found at the checkpoints' seqs are remembered.
    """
    wanted = sorted(set(checkpoints), key=lambda c: (c.seq, c.hash))
    seqs = {c.seq for c in wanted}
    last_wanted = wanted[-1].seq if wanted else 0
    found: dict[int, str] = {}

    def observed() -> Iterator[Mapping[str, Any]]:
        for event in events:
            if int(event["seq"]) in seqs:
                found.setdefault(int(event["seq"]), event["hash"])
            yield event

    stream = observed()
    report = verify_chain(stream, head=head, check_head=check_head)
    # The walk stops at the first break; checkpoints past it still need the hash stored at their seq.
    for event in stream:
        if int(event["seq"]) >= last_wanted:
            break
    failures = tuple(
        failure for c in wanted if (failure := _checkpoint_failure(c, found.get(c.seq), report.first_break)) is not None
    )
    return CheckpointReport(report, len(wanted), failures)


def _checkpoint_failure(checkpoint: Checkpoint, found: str | None, first_break: ChainBreak | None) -> CheckpointFailure | None:
    if found is None:
        return CheckpointFailure(checkpoint, CHECKPOINT_MISSING, None)
    if found != checkpoint.hash:
        return CheckpointFailure(checkpoint, CHECKPOINT_DIFFERS, found)
    if first_break is not None and first_break.seq <= checkpoint.seq:
        return CheckpointFailure(checkpoint, CHECKPOINT_BROKEN_BEFORE, found)
    return None


def _checkpoint(row: Any, where: str) -> Checkpoint:
    if not isinstance(row, Mapping):
        raise InvalidCheckpointFile(reason=f"{where} is not an object with seq and hash")
    seq, hash_ = row.get("seq"), row.get("hash")
    if isinstance(seq, str) and seq.strip().isdigit():
        seq = int(seq.strip())
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise InvalidCheckpointFile(reason=f"{where} has no seq (a whole number from 1)")
    hash_ = hash_.strip().lower() if isinstance(hash_, str) else ""
    if len(hash_) != HASH_HEX_LENGTH or any(ch not in "0123456789abcdef" for ch in hash_):
        raise InvalidCheckpointFile(reason=f"{where} has no hash (64 hexadecimal characters)")
    return Checkpoint(seq=seq, hash=hash_)


def parse_checkpoints(text: str) -> list[Checkpoint]:
    """Read a checkpoint list as published: JSON ``[{"seq", "hash", "created_at"}]`` or CSV with a header row."""
    text = text.lstrip("\ufeff").strip()
    if not text:
        raise InvalidCheckpointFile(reason="the file is empty")
    if text[0] in "[{":
        try:
            rows = json.loads(text)
        except ValueError as exc:
            raise InvalidCheckpointFile(reason=f"it is not valid JSON ({exc})") from None
        if not isinstance(rows, list):
            raise InvalidCheckpointFile(reason="the JSON is not a list of checkpoints")
        checkpoints = [_checkpoint(row, f"item {i}") for i, row in enumerate(rows, start=1)]
    else:
        reader = csv.DictReader(io.StringIO(text))
        if not {"seq", "hash"} <= {name.strip().lower() for name in reader.fieldnames or ()}:
            raise InvalidCheckpointFile(reason="the CSV header must name the columns seq and hash")
        checkpoints = [
            _checkpoint({(k or "").strip().lower(): v for k, v in row.items()}, f"line {reader.line_num}")
            for row in reader
        ]
    if not checkpoints:
        raise InvalidCheckpointFile(reason="it lists no checkpoints")
    return checkpoints
