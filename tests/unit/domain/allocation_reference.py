"""Obviously-correct, slow reference implementations of the allocation policies, for cross-checking the engine.

Written straight from the rules in docs/allocation-format.md, one applicant at a time, with Python sort keys.
"""

from __future__ import annotations

import datetime as dt
import hmac

from kezek.domain.allocation import AllocationInput


def tie_key(instance: AllocationInput, applicant) -> tuple:
    if instance.tie_break == "lottery":
        return (hmac.digest(bytes.fromhex(instance.seed_hex), applicant.id.encode(), "sha256").hex(),)
    moment = dt.datetime.fromisoformat(applicant.registered_at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return (moment, applicant.id)


def class_at(applicant, group_id: str) -> int:
    return applicant.group_priority.get(group_id, applicant.priority)


def reference_match(instance: AllocationInput) -> dict[str, str | None]:
    """Sequential applicant-proposing Gale-Shapley: one free applicant proposes at a time."""
    by_id = {a.id: a for a in instance.applicants}
    capacity = {g.id: g.capacity for g in instance.groups}
    held: dict[str, list[str]] = {g.id: [] for g in instance.groups}
    next_choice = {a.id: 0 for a in instance.applicants}
    free = [a.id for a in instance.applicants]
    while free:
        a = free.pop()
        applicant = by_id[a]
        if next_choice[a] >= len(applicant.preferences):
            continue
        g = applicant.preferences[next_choice[a]]
        next_choice[a] += 1
        held[g].append(a)
        held[g].sort(key=lambda x: (class_at(by_id[x], g), tie_key(instance, by_id[x])))
        if len(held[g]) > capacity[g]:
            free.append(held[g].pop())
    result: dict[str, str | None] = {a.id: None for a in instance.applicants}
    for g, holders in held.items():
        for a in holders:
            result[a] = g
    return result


def reference_queue_order(instance: AllocationInput, served) -> None:
    """Call ``served(applicant)`` in queue order; it returns whether the child got a place (used for the rotation)."""
    ordered = sorted(instance.applicants, key=lambda a: (a.priority, tie_key(instance, a)))
    rotation = instance.rotation
    if rotation is None or rotation.first_priority == 0 or rotation.general == 0:
        for a in ordered:
            served(a)
        return
    first = [a for a in ordered if a.priority == rotation.first_priority_class]
    general = [a for a in ordered if a.priority == rotation.general_class]
    for a in ordered:
        if a.priority < rotation.first_priority_class:
            served(a)
    pattern = ["F"] * rotation.first_priority + ["G"] * rotation.general
    given = 0
    while first or general:
        want = pattern[given % len(pattern)]
        queue = first if (want == "F" and first) or not general else general
        if served(queue.pop(0)):
            given += 1
    for a in ordered:
        if a.priority > rotation.first_priority_class and a.priority != rotation.general_class:
            served(a)


def reference_queue(instance: AllocationInput) -> dict[str, str | None]:
    """Serial dictatorship: each child in queue order takes their best group with a free place."""
    free = {g.id: g.capacity for g in instance.groups}
    result: dict[str, str | None] = {a.id: None for a in instance.applicants}

    def serve(applicant) -> bool:
        for g in applicant.preferences:
            if free[g] > 0:
                free[g] -= 1
                result[applicant.id] = g
                return True
        return False

    reference_queue_order(instance, serve)
    return result
