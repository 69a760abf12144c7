"""An allocation instance as flat numpy arrays, and the tie-break order of its applicants.

Applicants and groups are numbered by their position in the input. Preferences are stored flat (CSR):
applicant ``a`` ranks ``pref_group[pref_start[a]:pref_start[a + 1]]``, best first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import chain

import numpy as np

from kezek.domain.allocation.model import AllocationInput, Applicant, parse_registered_at
from kezek.domain.lottery import lottery_digests

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def registered_microseconds(value: str) -> int:
    """The registration time as whole microseconds since 1970 UTC (exact: no floating point)."""
    return (parse_registered_at(value) - _EPOCH) // _MICROSECOND


def tie_break_key(instance: AllocationInput, applicants: list[Applicant]) -> list[bytes] | list[tuple[int, str]]:
    """Each applicant's tie-break key for Python sorting: lottery digest, or (registration time, id)."""
    if instance.tie_break == "lottery":
        digests = lottery_digests(instance.seed, [a.id for a in applicants])
        return [digests[i : i + 32] for i in range(0, len(digests), 32)]
    return [(registered_microseconds(a.registered_at), a.id) for a in applicants]


def tie_break_order(instance: AllocationInput) -> np.ndarray:
    """Applicant numbers in tie-break order: lower lottery number first, or earlier registration then id."""
    applicants = instance.applicants
    if instance.tie_break == "lottery":
        # Fixed-width byte strings sort like big-endian integers, i.e. like the hex lottery numbers.
        digests = np.frombuffer(lottery_digests(instance.seed, [a.id for a in applicants]), dtype="S32")
        return np.argsort(digests, kind="stable")
    moments = np.fromiter((registered_microseconds(a.registered_at) for a in applicants), dtype=np.int64, count=len(applicants))
    # Ids have no control characters (checked on input), so numpy's code-point order is Python's str order.
    ids = np.array([a.id for a in applicants], dtype=str)
    return np.lexsort((ids, moments))


@dataclass(frozen=True)
class Compiled:
    """The arrays the engines work on."""

    group_ids: list[str]
    capacity: np.ndarray  # int64 per group
    pref_start: np.ndarray  # int64, n + 1
    pref_group: np.ndarray  # int64 group number per preference
    base_class: np.ndarray  # int64 class per applicant (its ``priority``)
    tie_rank: np.ndarray  # int64 position of each applicant in tie-break order

    @property
    def n(self) -> int:
        return len(self.base_class)


def compile_instance(instance: AllocationInput) -> Compiled:
    """Number the groups and applicants and lay the preferences out flat."""
    applicants = instance.applicants
    n = len(applicants)
    group_ids = [g.id for g in instance.groups]
    number = {group_id: i for i, group_id in enumerate(group_ids)}
    lengths = np.fromiter((len(a.preferences) for a in applicants), dtype=np.int64, count=n)
    pref_start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=pref_start[1:])
    flat = chain.from_iterable(a.preferences for a in applicants)
    pref_group = np.fromiter(map(number.__getitem__, flat), dtype=np.int64, count=int(pref_start[-1]))
    order = tie_break_order(instance)
    tie_rank = np.empty(n, dtype=np.int64)
    tie_rank[order] = np.arange(n, dtype=np.int64)
    return Compiled(
        group_ids=group_ids,
        capacity=np.array([g.capacity for g in instance.groups], dtype=np.int64),
        pref_start=pref_start,
        pref_group=pref_group,
        base_class=np.fromiter((a.priority for a in applicants), dtype=np.int64, count=n),
        tie_rank=tie_rank,
    )


def preference_keys(instance: AllocationInput, compiled: Compiled) -> tuple[np.ndarray, int]:
    """For each flat preference, the applicant's rank at that group (lower is served first), and a bound above all.

    The rank is (class at that group, tie-break position) packed into one integer; classes are renumbered
    densely first so that the packing cannot overflow.
    """
    n = compiled.n
    pref_class = np.repeat(compiled.base_class, np.diff(compiled.pref_start))
    override_classes = []
    for a, applicant in enumerate(instance.applicants):
        if applicant.group_priority:
            start = compiled.pref_start[a]
            for j, group_id in enumerate(applicant.preferences):
                if group_id in applicant.group_priority:
                    pref_class[start + j] = applicant.group_priority[group_id]
                    override_classes.append(applicant.group_priority[group_id])
    classes = np.unique(np.concatenate([compiled.base_class, np.array(override_classes, dtype=np.int64)]))
    dense = np.searchsorted(classes, pref_class)
    keys = dense * max(n, 1) + np.repeat(compiled.tie_rank, np.diff(compiled.pref_start))
    return keys, len(classes) * max(n, 1)
