"""Applicant-proposing deferred acceptance (Gale-Shapley), in simultaneous rounds over numpy arrays.

Each round, every applicant without a held place proposes to their next group; each group keeps the best
``capacity`` among the applicants it holds and the new proposers, and rejects the rest, who propose further
in the next round. Deferred acceptance ends in the same matching whatever order the proposals are made in
(the applicant-optimal stable matching), so proposing in rounds gives exactly the sequential algorithm's result.

A group's held applicants sit in its own slice of one flat array, sorted by rank, so a round touches only
the groups that received proposals. A proposal ranked below a full group's worst held applicant is refused
without looking at the group at all.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Progress = Callable[[str, int, int], None]

# Above this, (group, rank) pairs are sorted with two keys instead of one packed integer.
PACKED_LIMIT = 2**62


def _sort_by_group_then_key(groups: np.ndarray, keys: np.ndarray, key_span: int, group_count: int) -> np.ndarray:
    if group_count * key_span < PACKED_LIMIT:
        return np.argsort(groups * key_span + keys)
    return np.lexsort((keys, groups))


def deferred_acceptance(
    *, capacity: np.ndarray, pref_start: np.ndarray, pref_group: np.ndarray, pref_key: np.ndarray, key_span: int,
    progress: Progress | None = None,
) -> np.ndarray:
    """The applicant-optimal stable matching: for each applicant, the index of their held preference, or -1.

    ``pref_key[j]`` is the rank of preference ``j``'s applicant at that group (lower is better, unique per group,
    below ``key_span``).
    """
    group_count = len(capacity)
    # A group never holds more than the applicants who list it: this bounds the slots by the preferences.
    capacity = np.minimum(capacity, np.bincount(pref_group, minlength=group_count))
    end = pref_start[1:]
    pointer = pref_start[:-1].copy()
    slot_start = np.zeros(group_count + 1, dtype=np.int64)
    np.cumsum(capacity, out=slot_start[1:])
    slot_key = np.empty(int(slot_start[-1]), dtype=np.int64)
    slot_applicant = np.empty(int(slot_start[-1]), dtype=np.int64)
    held = np.zeros(group_count, dtype=np.int64)
    # The worst rank a group holds once full: a proposal ranked after it is refused at once. Open groups take
    # anyone (key_span); groups with no places take no one (-1).
    worst = np.where(capacity > 0, key_span, -1).astype(np.int64)
    free = np.flatnonzero(pointer < end)
    proposals, total = 0, len(pref_group)
    while free.size:
        proposals += free.size
        if progress is not None:
            progress("match", proposals, total)
        at = pointer[free]
        groups = pref_group[at]
        keys = pref_key[at]
        hopeful = keys < worst[groups]
        refused = free[~hopeful]
        free, groups, keys = free[hopeful], groups[hopeful], keys[hopeful]
        touched, new_counts = np.unique(groups, return_counts=True)
        # The applicants the touched groups hold now, gathered from their slices.
        held_counts = held[touched]
        offsets = np.cumsum(held_counts) - held_counts
        slots = np.repeat(slot_start[touched] - offsets, held_counts) + np.arange(int(held_counts.sum()), dtype=np.int64)
        all_groups = np.concatenate([np.repeat(touched, held_counts), groups])
        all_keys = np.concatenate([slot_key[slots], keys])
        all_applicants = np.concatenate([slot_applicant[slots], free])
        order = _sort_by_group_then_key(all_groups, all_keys, key_span, group_count)
        all_keys, all_applicants = all_keys[order], all_applicants[order]
        counts = held_counts + new_counts
        rank = np.arange(len(order), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        places = capacity[touched]
        keep = rank < np.repeat(places, counts)
        slot = np.repeat(slot_start[touched], counts)[keep] + rank[keep]
        slot_key[slot] = all_keys[keep]
        slot_applicant[slot] = all_applicants[keep]
        held[touched] = np.minimum(counts, places)
        full = touched[counts >= places]
        worst[full] = slot_key[slot_start[full] + capacity[full] - 1]
        moving = np.concatenate([refused, all_applicants[~keep]])
        pointer[moving] += 1
        free = moving[pointer[moving] < end[moving]]
    choice = np.full(len(pointer), -1, dtype=np.int64)
    in_slot = np.arange(len(slot_key), dtype=np.int64) - np.repeat(slot_start[:-1], capacity) < np.repeat(held, capacity)
    holders = slot_applicant[in_slot]
    choice[holders] = pointer[holders] - pref_start[holders]
    return choice
